"""Generated, plausible Indonesian consultants for the demo (names are invented, emails on example domains)."""

from __future__ import annotations

import random

FIRST = ("Ahmad Agus Andi Ani Arif Ayu Bambang Budi Citra Dedi Dewi Dian Eko Endah Fajar Fitri Gilang Hendra Ika "
         "Indah Joko Kartika Lestari Lukman Made Maria Muhammad Nur Nyoman Putri Rahmat Ratna Rina Rudi Sari "
         "Siti Slamet Sri Teguh Tri Wahyu Wayan Yanti Yusuf Zainal Asri Ketut Hasan Nanda Rosa Ilham").split()
LAST = ("Pratama Saputra Wijaya Hidayat Nugroho Santoso Lestari Kurniawan Setiawan Rahayu Siregar Nasution "
        "Harahap Lubis Simanjuntak Sinaga Tanjung Purba Manurung Pohan Daulay Sembiring Ginting Tarigan "
        "Pangaribuan Wibowo Susanto Gunawan Permana Ramadhan Firmansyah Syahputra Maulana Hakim Halim "
        "Latuconsina Rumbiak Wonda Mandacan Pattimura Lamba Paputungan Mokoginta Daeng Rangkuti").split()

# provinces with the PLUT units used by the demo (≥ 20 provinces, three time zones)
PLUT_UNITS = {
    "Aceh": ["PLUT KUMKM Kota Banda Aceh"],
    "Sumatera Utara": ["PLUT KUMKM Kota Medan", "PLUT KUMKM Kabupaten Deli Serdang"],
    "Sumatera Barat": ["PLUT KUMKM Kota Padang"],
    "Riau": ["PLUT KUMKM Kota Pekanbaru", "PLUT KUMKM Kabupaten Siak"],
    "Kepulauan Riau": ["PLUT KUMKM Kota Batam"],
    "Kepulauan Bangka Belitung": ["PLUT KUMKM Provinsi Kepulauan Bangka Belitung"],
    "Lampung": ["PLUT KUMKM Provinsi Lampung", "PLUT KUMKM Kabupaten Lampung Barat"],
    "Banten": ["PLUT KUMKM Kota Serang"],
    "DKI Jakarta": ["PLUT KUMKM DKI Jakarta"],
    "Jawa Barat": ["PLUT KUMKM Kota Bandung", "PLUT KUMKM Kabupaten Garut"],
    "Jawa Tengah": ["PLUT KUMKM Kota Semarang", "PLUT KUMKM Kabupaten Kudus", "PLUT KUMKM Kota Surakarta"],
    "DI Yogyakarta": ["PLUT KUMKM DI Yogyakarta"],
    "Jawa Timur": ["PLUT KUMKM Kota Surabaya", "PLUT KUMKM Kabupaten Banyuwangi"],
    "Bali": ["PLUT KUMKM Provinsi Bali", "PLUT KUMKM Kabupaten Jembrana"],
    "Nusa Tenggara Barat": ["PLUT KUMKM Provinsi NTB"],
    "Nusa Tenggara Timur": ["PLUT KUMKM Kota Kupang"],
    "Kalimantan Barat": ["PLUT KUMKM Kota Pontianak"],
    "Kalimantan Selatan": ["PLUT KUMKM Kota Banjarmasin"],
    "Kalimantan Timur": ["PLUT KUMKM Kota Samarinda"],
    "Sulawesi Selatan": ["PLUT KUMKM Kota Makassar", "PLUT KUMKM Kabupaten Maros"],
    "Sulawesi Tengah": ["PLUT KUMKM Kota Palu"],
    "Sulawesi Utara": ["PLUT KUMKM Kota Manado"],
    "Gorontalo": ["PLUT KUMKM Provinsi Gorontalo"],
    "Maluku": ["PLUT KUMKM Kota Ambon"],
    "Papua": ["PLUT KUMKM Kota Jayapura"],
}
FIELDS = ("kelembagaan", "sdm", "produksi", "pembiayaan", "pemasaran", "it", "jaringan")


def consultants(count: int, seed: int = 2022) -> list[dict]:
    """`count` distinct consultants spread over the provinces, weighted towards Java like the real pool."""
    rng = random.Random(seed)
    provinces = list(PLUT_UNITS)
    weights = [3 if p.startswith(("Jawa", "DKI", "Banten")) else 1 for p in provinces]
    people, seen = [], set()
    while len(people) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        province = rng.choices(provinces, weights)[0]
        base = f"{first}.{last}".lower()
        n = 1
        while f"{base}{n}" in seen:
            n += 1
        seen.add(f"{base}{n}")
        people.append({
            "full_name": f"{first} {last}", "email": f"{base}{n}@peserta.contoh.id", "province": province,
            "plut_unit": rng.choice(PLUT_UNITS[province]), "consultant_field": FIELDS[len(people) % len(FIELDS)],
        })
    return people
