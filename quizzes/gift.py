"""Moodle GIFT import and export to and from the neutral question dicts used by the quiz YAML files.

Import (``parse_gift``) follows Moodle's own reader (question/format/gift/format.php): questions are
separated by blank lines, ``//`` lines are comments, ``::title::``, ``[html|markdown|moodle|plain]``
format tags, ``=`` / ``~`` answers with ``%weight%``, ``#feedback``, ``####general feedback``,
``{T}``/``{FALSE#wrong#right}``, short answers, ``{#value:tolerance}``, ``{#min..max}``, several
weighted numeric answers, missing-word questions (``___`` replaces the braces) and the escapes
``\\~ \\= \\# \\{ \\} \\: \\\\ \\n``. ``$CATEGORY: path`` tags the following questions with the slug of
the path's last real segment plus ``cat:<path>`` (left out when the path is just that slug, and nothing for
``$course$/top``). Moodle 4 comment tokens ``[id:...]`` and ``[tag:...]`` give the id and more tags.
Matching, essay and description items, and anything malformed, are reported in ``refused`` with their
line number instead of being imported.

Mapping choices:

* one ``=`` answer -> ``single`` (other answers may keep partial ``weight``); no ``=`` (Moodle's
  multiple-answer form, weights with ``~%50%``) or several ``=`` -> ``multiple`` with ``scoring:
  partial``. Weights equal to the default rule of :mod:`quizzes.grading` are not stored.
* general feedback -> ``explanation``; a trailing ``(Sumber: ...)`` in it -> ``source`` (else ``""``).
* short answers with a weight other than 100% or with feedback, and numeric questions with several
  answers or feedback, keep every answer in ``answers``; ``accepted`` / ``value`` mirror the full-credit
  ones. True/false ``#wrong#right`` feedback -> ``feedback_wrong`` / ``feedback_right``; numeric ``~#...``
  -> ``feedback_wrong``.
* html text: a lone ``<p>...</p>`` wrapper is removed, other HTML is kept (Markdown passes it through).
* ids: ``[id:...]`` comment, else the slugified title, else ``gift-<line>``; duplicates get ``-<line>``.
* ``source`` is ``""`` when the file gives none, so a quiz file needs one added before it validates.

Export (``export_gift``) writes what Moodle's importer reads back (``[markdown]`` text, Moodle weights,
``####explanation (Sumber: source)``), plus comment tokens ``[id:]``, ``[tag:]`` (read by Moodle 4),
``[points:]`` and ``[scoring:]`` (ignored by Moodle). ``$CATEGORY`` comes from the ``cat:`` tag, else the
first non-module tag. ``parse_gift(export_gift(qs)) == qs`` except that a category taken from a plain tag
with spaces adds its ``cat:`` tag, and option keys are re-lettered 'a', 'b', ...
"""


from __future__ import annotations

from quizzes.gift_export import category_for, escape, export_gift, export_question, is_module_tag
from quizzes.gift_parse import BLANK, ID_MAX_LENGTH, GiftResult, parse_gift
from quizzes.gift_text import slugify

__all__ = [
    "BLANK",
    "ID_MAX_LENGTH",
    "GiftResult",
    "category_for",
    "escape",
    "export_gift",
    "export_question",
    "is_module_tag",
    "parse_gift",
    "slugify",
]
