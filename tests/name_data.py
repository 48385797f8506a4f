"""Generated name files for screening tests and the bench: variants of every listed name, and unrelated companies.

Nothing here knows the expected answers: variants are derived from the register
itself, and unrelated names are drawn from word lists that share the common
business words of the listed names (Systems, Materials, Heavy Industries, Aerospace...).
"""

from __future__ import annotations

import random
import re

from assistant.parties import PartiesRegister

SUFFIXES = ["Inc.", "LLC", "Ltd", "Co., Ltd.", "Corporation", "GmbH", "K.K.", "plc", "S.A.", "Limited"]
FIRST = (
    "Northwind Bluefield Harbor Crescent Summit Granite Redwood Silverline Oakridge Brightwater Ironbridge Westmark "
    "Clearview Stonegate Riverbend Pinecrest Lakeshore Highpoint Evergreen Sunfield Maplewood Coldspring Eastgate "
    "Foxglove Goldcrest Hawthorn Juniper Kingsway Larkspur Meadowbrook Newport Orchard Parkside Quarry Rosewood "
    "Sterling Thornbury Upland Valemont Windmere Yellowstone Zenith Aurora Beacon Cascade Delta Ember Falcon Glacier "
    "Horizon Icefield Jasper Keystone Lumen Meridian Nova Onyx Pioneer Quantum Radiant Sable Titan Unity Vertex "
    "Willow Xenon Yarrow Zephyr Alder Birch Cedar Dunmore Elmstead Fenwick Grafton Holloway Ingram Jarrow Kendal "
    "Lowther Marlow Norcross Ashford Bexley Carrow Dorset Easton Fairley Gresham Halden Ilford Keswick Ludlow Milford "
    "Nantwich Oakham Penrith Ripley Selby Tadley Wetherby Acorn Bramble Copper Driftwood Flint Heather Ivy Kestrel "
    "Linden Mistral Nimbus Osprey Puffin Quill Raven Sparrow Thistle Umber Violet Wren Hikari Sakura Daiwa Kobe "
    "Nagoya Osaka Sendai Yokohama Shenzhen Suzhou Ningbo Qingdao Dalian Xiamen Hefei Wuxi Munich Lyon Turin Porto"
).split()
SECOND = (
    "Systems Technologies Materials Logistics Holdings Aerospace Defense Security Industries Heavy Industries "
    "Electronics Energy Engineering Trading Partners Solutions Services Manufacturing Products Research Global "
    "International Metals Mining Magnetics Components Devices Robotics Analytics Software Foods Textiles Chemicals "
    "Pharma Shipping Motors Aviation Semiconductors Instruments Optics Sensors Labs Capital Ventures Group"
).split()


def listed_names(register: PartiesRegister) -> list[tuple[str, str]]:
    """(party id, printed name or alias) for every name the register carries."""
    return [(p.id, n) for p in register.parties for n in [p.name, *p.aliases]]


def variants(register: PartiesRegister, seed: int = 13) -> list[tuple[str, str, str]]:
    """(party id, variant, how) for every listed name: case, suffix dropped/changed, one typo, word order, script."""
    rng = random.Random(seed)
    out = []
    for party_id, name in listed_names(register):
        if re.search(r"[\u3040-\u9fff]", name):
            out.append((party_id, name, "written form in Japanese or Chinese"))
            out.append((party_id, name + "株式会社", "Japanese legal form added"))
            continue
        bare = re.sub(r",?\s+(Inc\.?|LLC|Corporation)$", "", name)
        out.append((party_id, name.upper(), "upper case"))
        out.append((party_id, name.lower(), "lower case"))
        out.append((party_id, bare, "suffix dropped"))
        out.append((party_id, f"{bare} {rng.choice(SUFFIXES)}", "suffix changed"))
        words = bare.split()
        if len(words) > 1:
            out.append((party_id, " ".join(reversed(words)), "word order"))
        typo = _one_typo(bare, rng)
        if typo:
            out.append((party_id, typo, "one typo"))
    return out


def _one_typo(name: str, rng: random.Random) -> str | None:
    """One letter changed in the longest word; names with no word of 4+ letters get no typo variant."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    word = words[i]
    if len(word) < 4:
        return None
    at = rng.randrange(1, len(word) - 1)
    letter = rng.choice([c for c in "aeiouxrtnsl" if c != word[at].lower()])
    words[i] = word[:at] + letter + word[at + 1 :]
    return " ".join(words)


def unrelated(count: int, seed: int = 7) -> list[str]:
    """Company names that are not on any list: distinct, sharing the lists' common business words."""
    rng = random.Random(seed)
    names: list[str] = []
    seen = set()
    while len(names) < count:
        words = [rng.choice(FIRST)] + rng.sample(SECOND, rng.choice([1, 1, 2]))
        if rng.random() < 0.3:
            words.insert(1, rng.choice(FIRST))
        name = " ".join(words) + ("" if rng.random() < 0.3 else " " + rng.choice(SUFFIXES))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names
