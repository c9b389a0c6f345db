"""Static reference data for the simulated world: French cities, streets, operators."""

from __future__ import annotations

# (city, postal code, latitude, longitude) — real city centres in metropolitan France.
CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("Paris", "75011", 48.8589, 2.3795),
    ("Paris", "75015", 48.8412, 2.3003),
    ("Lyon", "69003", 45.7597, 4.8500),
    ("Marseille", "13008", 43.2437, 5.3806),
    ("Toulouse", "31000", 43.6047, 1.4442),
    ("Nice", "06000", 43.7102, 7.2620),
    ("Nantes", "44000", 47.2184, -1.5536),
    ("Strasbourg", "67000", 48.5734, 7.7521),
    ("Montpellier", "34000", 43.6108, 3.8767),
    ("Bordeaux", "33000", 44.8378, -0.5792),
    ("Lille", "59000", 50.6292, 3.0573),
    ("Rennes", "35000", 48.1173, -1.6778),
    ("Reims", "51100", 49.2583, 4.0317),
    ("Le Havre", "76600", 49.4944, 0.1079),
    ("Saint-Étienne", "42000", 45.4397, 4.3872),
    ("Toulon", "83000", 43.1242, 5.9280),
    ("Grenoble", "38000", 45.1885, 5.7245),
    ("Dijon", "21000", 47.3220, 5.0415),
    ("Angers", "49000", 47.4784, -0.5632),
    ("Nîmes", "30000", 43.8367, 4.3601),
    ("Clermont-Ferrand", "63000", 45.7772, 3.0870),
    ("Le Mans", "72000", 48.0061, 0.1996),
    ("Aix-en-Provence", "13100", 43.5297, 5.4474),
    ("Brest", "29200", 48.3904, -4.4861),
    ("Tours", "37000", 47.3941, 0.6848),
    ("Amiens", "80000", 49.8941, 2.2958),
    ("Limoges", "87000", 45.8336, 1.2611),
    ("Annecy", "74000", 45.8992, 6.1294),
    ("Perpignan", "66000", 42.6887, 2.8948),
    ("Metz", "57000", 49.1193, 6.1757),
    ("Besançon", "25000", 47.2378, 6.0241),
    ("Orléans", "45000", 47.9030, 1.9093),
    ("Rouen", "76000", 49.4432, 1.0999),
    ("Caen", "14000", 49.1829, -0.3707),
    ("Nancy", "54000", 48.6921, 6.1844),
    ("Avignon", "84000", 43.9493, 4.8055),
    ("La Rochelle", "17000", 46.1603, -1.1511),
    ("Poitiers", "86000", 46.5802, 0.3404),
    ("Pau", "64000", 43.2951, -0.3708),
    ("Chambéry", "73000", 45.5646, 5.9178),
)

STREETS: tuple[str, ...] = (
    "Rue de la République",
    "Avenue Jean Jaurès",
    "Boulevard Victor Hugo",
    "Rue Pasteur",
    "Place de la Gare",
    "Rue du Général de Gaulle",
    "Avenue de la Libération",
    "Rue Nationale",
    "Rue des Écoles",
    "Chemin des Vignes",
    "Allée des Tilleuls",
    "Rue Émile Zola",
    "Rue du Moulin",
    "Avenue Foch",
    "Rue Gambetta",
    "Rue de Verdun",
    "Boulevard Pasteur",
    "Rue de l'Église",
    "Impasse des Lilas",
    "Rue Voltaire",
    "Avenue du Maréchal Leclerc",
    "Rue Jean Moulin",
    "Rue de Paris",
    "Quai des Chartrons",
    "Cours Lafayette",
)

# Public site names by kind.
SITE_NAMES: dict[str, tuple[str, ...]] = {
    "ON_STREET": ("Voirie {street}", "Station {city} Centre", "Borne {street}"),
    "PARKING_LOT": ("Parking Gare {city}", "Centre commercial {city}", "Supermarché {city} Nord"),
    "PARKING_GARAGE": ("Parking Hôtel de Ville", "Parking {city} Centre", "Parking Indigo {city}"),
    "UNDERGROUND_GARAGE": ("Parking souterrain {city} Gare", "Parking Effia {city}"),
    "ALONG_MOTORWAY": ("Aire de {city}", "Aire de service {city} Est", "Relais autoroutier {city}"),
}

FACILITIES_BY_KIND: dict[str, tuple[str, ...]] = {
    "ON_STREET": ("BUS_STOP", "CAFE", "RESTAURANT", "TRAM_STOP"),
    "PARKING_LOT": ("SUPERMARKET", "MALL", "CAFE", "WIFI"),
    "PARKING_GARAGE": ("TRAIN_STATION", "HOTEL", "MUSEUM", "METRO_STATION"),
    "UNDERGROUND_GARAGE": ("TRAIN_STATION", "MALL", "PARKING_LOT"),
    "ALONG_MOTORWAY": ("FUEL_STATION", "RESTAURANT", "CAFE", "WIFI", "RECREATION_AREA"),
}

# 2.1.1 knows fewer facilities; these are mapped or dropped.
FACILITIES_211 = frozenset(
    {
        "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA",
        "NATURE", "MUSEUM", "BUS_STOP", "TAXI_STAND", "TRAIN_STATION", "AIRPORT",
        "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
    }
)  # fmt: skip

# CPO parties operating on the platform: (country_code, party_id, name, website).
OPERATORS: tuple[tuple[str, str, str, str], ...] = (
    ("FR", "ABC", "Alpha Borne Charge", "https://www.alpha-borne.example.fr"),
    ("FR", "XYZ", "XYZ Recharge", "https://xyz-recharge.example.fr"),
    ("FR", "TOT", "Totem Énergie Mobilité", "https://totem-energie.example.fr"),
    ("BE", "BEC", "Belgian E-Charging", "https://www.bec.example.be"),
)

OWNERS: tuple[str, ...] = (
    "Ville de {city}",
    "SCI Les Tilleuls",
    "Indigo Group",
    "Carrefour Propriété",
    "Vinci Autoroutes",
    "Métropole de {city}",
)

# eMSP parties whose tokens the platform holds: (country_code, party_id, issuer name).
EMSPS: tuple[tuple[str, str, str], ...] = (
    ("FR", "MSP", "Mobilité Service Plus"),
    ("FR", "CHM", "ChargeMap Pass"),
    ("FR", "FRE", "Freshmile Services"),
    ("BE", "EMP", "E-Mobility Partners Belgium"),
)

PLATFORM_PARTY = ("FR", "SIM")
PLATFORM_NAME = "OCPI Simulator CPO Platform"
