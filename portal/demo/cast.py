"""The demo world's cast: its suppliers (with how each behaves), the item catalogue, the words people
write (delay reasons, day notes, reject notes) and the customers waiting on backorders."""

from __future__ import annotations

from dataclasses import dataclass

_SAT_WEEK = "1111110"
_MON_FRI = "1111100"


@dataclass(frozen=True)
class _Supplier:
    code: str
    name: str
    country: str
    transit: int
    weekmask: str
    category: str
    weight: float  # share of the lines
    capacity_factor: float | None  # declared capacity / its current planned load; None: not declared
    late_p: float  # chance a delivery is late
    gap_p: float  # chance a working day goes unreported
    reject_p: float  # typical reject rate
    emails: tuple[str, ...]


# fmt: off
SUPPLIERS: tuple[_Supplier, ...] = (
    _Supplier("ACME-DE", "Acme Textilwerk GmbH", "DE", 3, _MON_FRI, "home", 1.2, 1.5, 0.10, 0.03, 0.003,
              ("acme-de.planning@example.com", "jonas.weber@example.com")),
    _Supplier("LUMEN-FR", "Lumen Maison SARL", "FR", 4, _MON_FRI, "house", 0.8, None, 0.20, 0.06, 0.004,
              ("lumen-fr.commandes@example.com",)),
    _Supplier("TESSA-IT", "Tessitura Alpina S.p.A.", "IT", 5, _MON_FRI, "home", 0.9, 1.4, 0.15, 0.05, 0.004,
              ("tessa-it.produzione@example.com", "giulia.ferri@example.com")),
    _Supplier("VISTULA-PL", "Vistula Metalworks Sp. z o.o.", "PL", 4, _MON_FRI, "hardware", 1.0, None, 0.20,
              0.04, 0.002, ("vistula-pl.orders@example.com",)),
    _Supplier("PEARL-CN", "Pearl River Electronics Co., Ltd.", "CN", 32, _SAT_WEEK, "electronics", 1.5, 1.3,
              0.30, 0.05, 0.006, ("pearl-cn.sales@example.com", "mei.chen@example.com")),
    _Supplier("MEKONG-VN", "Mekong Garment JSC", "VN", 30, _SAT_WEEK, "apparel", 1.3, None, 0.35, 0.12, 0.008,
              ("mekong-vn.merchandising@example.com",)),
    _Supplier("INDUS-IN", "Indus Precision Hardware Pvt. Ltd.", "IN", 28, _SAT_WEEK, "hardware", 1.0, 0.75,
              0.50, 0.15, 0.012, ("indus-in.exports@example.com", "arjun.mehta@example.com")),
    _Supplier("AZTECA-MX", "Azteca Plasticos S.A. de C.V.", "MX", 9, _MON_FRI, "house", 1.0, 1.6, 0.25, 0.08,
              0.006, ("azteca-mx.ventas@example.com",)),
    _Supplier("LAKES-US", "Great Lakes Fasteners Inc.", "US", 5, _MON_FRI, "hardware", 0.8, None, 0.10, 0.04,
              0.002, ("lakes-us.orders@example.com",)),
    _Supplier("BOSPHOR-TR", "Bosphorus Tekstil A.S.", "TR", 12, _MON_FRI, "apparel", 1.1, 1.4, 0.25, 0.07,
              0.007, ("bosphor-tr.export@example.com", "elif.yilmaz@example.com")),
    _Supplier("MINHO-PT", "Minho Calcado Lda.", "PT", 6, _MON_FRI, "footwear", 0.9, None, 0.15, 0.05, 0.005,
              ("minho-pt.encomendas@example.com",)),
    _Supplier("PENNINE-GB", "Pennine Components Ltd.", "GB", 3, _MON_FRI, "electronics", 0.7, 1.8, 0.05, 0.02,
              0.002, ("pennine-gb.sales@example.com",)),
)
# fmt: on

# fmt: off
ITEM_CATALOG: dict[str, tuple[str, ...]] = {
    "apparel": (
        "Men's crew-neck T-shirt, cotton, navy", "Women's V-neck T-shirt, white",
        "Hooded sweatshirt, heather grey", "Chino trousers, khaki", "Denim jeans, slim fit, indigo",
        "Polo shirt, pique, black", "Fleece jacket, forest green", "Rain jacket, packable, yellow",
        "Cargo shorts, olive", "Merino wool socks, 3-pack",
    ),
    "home": (
        "Bath towel 70x140, white", "Hand towel 50x100, sage", "Duvet cover 200x200, washed linen",
        "Fitted sheet 160x200, percale", "Pillowcase 50x75, pair", "Throw blanket, wool blend",
        "Kitchen tea towel, set of 3", "Table cloth 140x240, linen", "Blackout curtain 140x245, charcoal",
        "Bath mat 60x90, cotton",
    ),
    "hardware": (
        "Hex bolt M8x40, zinc plated, box of 100", "Wood screw 4x40, box of 200",
        "Stainless hinge 75 mm, pair", "Cabinet handle 128 mm, matt black", "Wall anchor 8 mm, box of 100",
        "Steel angle bracket 50 mm", "Padlock 40 mm, brass", "Shelf bracket 200 mm, white",
        "Drawer slide 450 mm, pair", "Carabiner hook, steel, 8 cm",
    ),
    "electronics": (
        "USB-C charging cable 1 m", "USB-C wall charger 30 W", "Bluetooth speaker, compact",
        "LED desk lamp, dimmable", "Wireless mouse, 2.4 GHz", "Power bank 10,000 mAh", "HDMI cable 2 m",
        "Smart plug, Wi-Fi", "In-ear headphones, wired", "Extension lead, 4 sockets",
    ),
    "house": (
        "Food storage box 1.2 l, set of 3", "Water bottle 750 ml, BPA-free", "Laundry basket 50 l",
        "Cutting board, bamboo", "Glass jar 500 ml with lid", "Ceramic mug 350 ml, white",
        "Table lamp, linen shade", "Scented candle, cedar", "Storage crate, stackable",
        "Dish rack, stainless",
    ),
    "footwear": (
        "Leather sneaker, white, size 42", "Leather sneaker, white, size 38", "Chelsea boot, brown, size 43",
        "Canvas espadrille, navy, size 40", "Running shoe, grey, size 44", "Leather sandal, tan, size 39",
        "Felt slipper, size 41", "Suede loafer, size 42", "Rain boot, black, size 40",
        "Memory-foam insole, one size",
    ),
}
# fmt: on

#: What runs short first in each trade (the reason a supplier gives for a slip).
MATERIAL_REASONS: dict[str, str] = {
    "apparel": "Fabric delivery from the mill is late",
    "home": "Yarn shortage at our spinner",
    "hardware": "Steel wire rod delivery delayed",
    "electronics": "Chip shortage: waiting for controller ICs",
    "house": "Resin shortage at our supplier",
    "footwear": "Leather hides held at customs",
}
BREAKDOWN_REASONS = (
    "Machine breakdown on line 2",
    "Mould repair after a crack was found",
    "Compressor failure, line stopped",
)
FURTHER_SLIP_REASONS = (
    "Customs hold on raw material",
    "Power rationing in the industrial zone",
    "Key operators on sick leave",
    "Quality hold: one batch being reworked",
)
SLOW_REASONS = ("Output below plan: new operators still training", "Running one shift instead of two")
DAY_NOTES = (
    "Line changeover in the morning",
    "Inline QC passed",
    "Short day: staff meeting",
    "Waiting for packaging material, will catch up tomorrow",
    "Night shift added",
    "Power cut in the afternoon",
    "Audit visit by customer QA",
)
REJECT_NOTES = (
    "Rejects at final inspection, reworking where possible",
    "Colour mismatch on part of the batch",
    "Dimensional defects found at QC",
)
# fmt: off
CUSTOMERS = (
    "Hartmann Outdoor GmbH", "Northwind Traders", "Lisa Moreau", "Casa Bella Interiors", "Tom Fischer",
    "Blue Harbour Hotels", "Anna Kowalska", "Greenfield School District", "Marco Bianchi", "Urban Nest Ltd",
    "Sakura Home Store", "Jean Dupont", "Alpine Lodge Resort", "Fatima El-Amin", "Brightside Clinics",
    "Oliver Grant", "Nordic Living AB", "Carmen Ortega", "Riverside Hardware Co-op", "Hannah Schmidt",
    "Pacific Fitness Centers", "Kenji Watanabe", "The Linen Cupboard", "Sven Larsen", "Metro Office Supply",
    "Aisha Patel", "Harbour View B&B", "Lucas Martin", "Evergreen Garden Centre", "Sofia Almeida",
)
# fmt: on
