"""The design of a generated org, drawn before any user: catalogs, groups, policy.

The skill and language catalogs are fixed lists of contact-center names. The
directory groups form levels: every group below the top is contained by a group
one level up, one in ten also by a group further up (a diamond), and a few groups
on one level contain each other in a cycle. The policy grants skills and
languages from about half the groups (at most 500), mostly in the upper levels.

From these the blueprint works out what membership of each group grants, through
every group containing it, so that the generator knows what the policy grants
each user from the groups the user is a direct member of.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import yaml

MAX_GRANTING_GROUPS = 500

SKILL_NAMES = (
    "Account Management",
    "Appointments",
    "Billing",
    "Billing Disputes",
    "Cancellations",
    "Claims",
    "Collections",
    "Complaints",
    "Customer Retention",
    "Customer Service",
    "Data Privacy Requests",
    "Device Setup",
    "Email Support",
    "Enterprise Accounts",
    "Escalations",
    "Fraud Prevention",
    "Internet Outages",
    "Inventory Questions",
    "Loyalty Program",
    "Mobile Plans",
    "Network Troubleshooting",
    "New Accounts",
    "Onboarding",
    "Order Status",
    "Outbound Campaigns",
    "Password Resets",
    "Payments",
    "Premium Support",
    "Product Recalls",
    "Refunds",
    "Renewals",
    "Returns",
    "Sales",
    "Shipping",
    "Small Business",
    "Social Media",
    "Subscriptions",
    "Technical Support",
    "Upgrades",
    "Warranty",
    "Web Chat",
)
RETIRED_SKILL_NAMES = ("Fax Orders", "Legacy IVR Support", "Pager Support")
LANGUAGES = (
    ("ar", "Arabic"),
    ("zh", "Chinese"),
    ("nl", "Dutch"),
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("hi", "Hindi"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ru", "Russian"),
    ("es", "Spanish"),
    ("sv", "Swedish"),
    ("tr", "Turkish"),
)
SKILL_LEVELS = (1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)
LANGUAGE_LEVELS = (1, 2, 3, 4, 5)

AREAS = ("EMEA", "APAC", "North America", "LATAM", "Nordics", "DACH", "UK", "Global")
FUNCTIONS = (
    "Billing",
    "Care",
    "Collections",
    "Onboarding",
    "Retention",
    "Sales",
    "Support",
    "Technical",
)
LEVEL_NOUNS = ("Division", "Department", "Unit", "Team", "Squad", "Pod", "Crew")

Grants = Mapping[int, float]
NO_GRANTS: Grants = {}


@dataclass(frozen=True, slots=True)
class Catalog:
    """The skill and language catalogs, numbered by slot: skills first, then
    languages, so that one mapping can hold the grants of both."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    states: tuple[str, ...]
    skill_count: int

    def is_skill(self, slot: int) -> bool:
        """Tell whether a slot holds a skill rather than a language."""
        return slot < self.skill_count

    def slots(self, *, skills: bool) -> range:
        """The skill slots, or the language slots, in catalog order."""
        if skills:
            return range(self.skill_count)

        return range(self.skill_count, len(self.ids))

    def active_slots(self, *, skills: bool) -> list[int]:
        """The active skill slots, or the active language slots."""
        return [
            slot for slot in self.slots(skills=skills) if self.states[slot] == "active"
        ]


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """The directory groups by index, numbered level by level from the top down.

    `starts` holds the index of the first group of each level, then the number of
    groups. `contains` lists the groups each group contains, as the snapshot says
    it; `parents` lists the groups containing each group, leaving out the edges
    that close cycles. The `cycles` are disjoint and each lies within one level.
    """

    names: tuple[str, ...]
    levels: tuple[int, ...]
    starts: tuple[int, ...]
    contains: tuple[list[int], ...]
    parents: tuple[list[int], ...]
    cycles: tuple[tuple[int, ...], ...]

    @property
    def depth(self) -> int:
        """The number of levels."""
        return len(self.starts) - 1


@dataclass(frozen=True, slots=True)
class Rule:
    """A policy rule: a group and what it grants, slot to proficiency."""

    group: int
    grants: dict[int, float]


@dataclass(frozen=True, slots=True)
class Policy:
    """The sample policy: rules, `nesting` edges as (parent, child), and the slots
    it manages or leaves alone."""

    rules: tuple[Rule, ...]
    nesting: tuple[tuple[int, int], ...]
    managed: frozenset[int]
    managed_slots: tuple[int, ...]
    unmanaged_skills: tuple[int, ...]
    unmanaged_languages: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Blueprint:
    """Everything about a generated org except its users, and what membership of
    each group grants."""

    catalog: Catalog
    hierarchy: Hierarchy
    policy: Policy
    grants: tuple[Grants, ...]

    @classmethod
    def draw(cls, rng: random.Random, groups: int, depth: int) -> Blueprint:
        """Draw the groups and the policy; `groups` must be at least `depth`."""
        catalog = build_catalog()
        hierarchy = build_hierarchy(rng, groups, depth)
        policy = build_policy(rng, hierarchy, catalog)

        return cls(catalog, hierarchy, policy, effective_grants(hierarchy, policy))


def build_catalog() -> Catalog:
    """The fixed skill and language catalogs, with a few retired skills."""
    skills = [(skill_id(name), name, "active") for name in SKILL_NAMES]
    skills += [(skill_id(name), name, "inactive") for name in RETIRED_SKILL_NAMES]
    languages = [(f"l-{code}", name, "active") for code, name in LANGUAGES]
    entries = skills + languages

    return Catalog(
        ids=tuple(entry[0] for entry in entries),
        names=tuple(entry[1] for entry in entries),
        states=tuple(entry[2] for entry in entries),
        skill_count=len(skills),
    )


def skill_id(name: str) -> str:
    """A readable skill id: `Technical Support` becomes `s-technical-support`."""
    return "s-" + name.lower().replace(" ", "-")


def build_hierarchy(rng: random.Random, count: int, depth: int) -> Hierarchy:
    """Lay `count` groups out on `depth` levels, link them and close a few cycles."""
    levels = assign_levels(rng, count, depth)
    starts = level_starts(levels, depth)
    parents = link_parents(rng, levels, starts)
    cycles = choose_cycles(rng, starts, cycle_count(count, depth))
    contains: tuple[list[int], ...] = tuple([] for _ in range(count))
    for child, group_parents in enumerate(parents):
        for parent in group_parents:
            contains[parent].append(child)

    for cycle in cycles:
        for position, group in enumerate(cycle):
            contains[group].append(cycle[(position + 1) % len(cycle)])

    return Hierarchy(
        names=tuple(
            group_name(rng, group, level) for group, level in enumerate(levels)
        ),
        levels=tuple(levels),
        starts=tuple(starts),
        contains=contains,
        parents=tuple(parents),
        cycles=tuple(cycles),
    )


def assign_levels(rng: random.Random, count: int, depth: int) -> list[int]:
    """One group per level first, then the rest with each level about twice as
    likely as the one above; sorted, so groups are numbered from the top down."""
    weights = [2.0 ** min(level, 30) for level in range(depth)]
    extra = rng.choices(range(depth), weights=weights, k=count - depth)

    return sorted([*range(depth), *extra])


def level_starts(levels: Sequence[int], depth: int) -> list[int]:
    """The index of the first group of each level, then the number of groups."""
    starts = [0] * (depth + 1)
    for level in levels:
        starts[level + 1] += 1

    for level in range(depth):
        starts[level + 1] += starts[level]

    return starts


def link_parents(
    rng: random.Random, levels: Sequence[int], starts: Sequence[int]
) -> list[list[int]]:
    """Give every group below the top a parent one level up, and one in ten a
    second parent further up. The first group of each level is contained by the
    first of the level above, so that one chain reaches the full depth."""
    rand = rng.random
    parents: list[list[int]] = []
    for group, level in enumerate(levels):
        if level == 0:
            parents.append([])
            continue

        above = starts[level - 1]
        size = starts[level] - above
        primary = above if group == starts[level] else above + int(rand() * size)
        second = int(rand() * starts[level])
        if rand() < 0.1 and second != primary:
            parents.append([primary, second])
        else:
            parents.append([primary])

    return parents


def cycle_count(count: int, depth: int) -> int:
    """How many cycles to close: none unless some level holds two groups."""
    if count < 4 or count == depth:
        return 0

    if count < 20:
        return 1

    return 2 if count < 200 else 3


def choose_cycles(
    rng: random.Random, starts: Sequence[int], wanted: int
) -> list[tuple[int, ...]]:
    """Pick `wanted` disjoint cycles of two or three groups, each within one level,
    which leaves the depth of the nesting as it was."""
    wide = [
        level
        for level in range(len(starts) - 1)
        if starts[level + 1] - starts[level] > 1
    ]
    taken: set[int] = set()
    cycles: list[tuple[int, ...]] = []
    for _ in range(wanted * 10):
        if len(cycles) == wanted or not wide:
            break

        level = rng.choice(wide)
        first, end = starts[level], starts[level + 1]
        length = 3 if end - first > 2 and rng.random() < 0.5 else 2
        cycle = tuple(rng.sample(range(first, end), length))
        if taken.isdisjoint(cycle):
            taken.update(cycle)
            cycles.append(cycle)

    return cycles


def group_name(rng: random.Random, group: int, level: int) -> str:
    """A unique display name such as `EMEA Billing Team 17`."""
    area = AREAS[int(rng.random() * len(AREAS))]
    function = FUNCTIONS[int(rng.random() * len(FUNCTIONS))]
    noun = LEVEL_NOUNS[min(level, len(LEVEL_NOUNS) - 1)]

    return f"{area} {function} {noun} {group + 1}"


def build_policy(rng: random.Random, hierarchy: Hierarchy, catalog: Catalog) -> Policy:
    """Rules for about half the groups, at most 500, and a nesting edge or two.

    The rules draw on about two thirds of the skills and languages, so the rest
    of the catalog stays unmanaged."""
    granting = granting_groups(rng, hierarchy)
    skill_pool = sample_share(rng, catalog.active_slots(skills=True), 0.7)
    language_pool = english_first(rng, catalog)
    rules = [draw_rule(rng, group, skill_pool, language_pool) for group in granting]
    if len(rules) > 1:
        overlap_first_rules(rng, rules, skill_pool[0], language_pool[0])

    managed = frozenset(slot for rule in rules for slot in rule.grants)

    return Policy(
        rules=tuple(rules),
        nesting=tuple(choose_nesting(rng, hierarchy)),
        managed=managed,
        managed_slots=tuple(sorted(managed)),
        unmanaged_skills=tuple(unmanaged(catalog.active_slots(skills=True), managed)),
        unmanaged_languages=tuple(
            unmanaged(catalog.active_slots(skills=False), managed)
        ),
    )


def granting_groups(rng: random.Random, hierarchy: Hierarchy) -> list[int]:
    """The groups that get a rule: the top two of the full-depth chain, so that
    one always contains the other, then others from the upper levels."""
    count = len(hierarchy.names)
    wanted = max(1, min(MAX_GRANTING_GROUPS, count // 2))
    chain = [hierarchy.starts[level] for level in range(min(2, hierarchy.depth))]
    pool = [group for group in range(min(count, 8 * wanted)) if group not in chain]
    others = rng.sample(pool, max(0, wanted - len(chain)))

    return [*chain, *sorted(others)][:wanted]


def sample_share(rng: random.Random, slots: Sequence[int], share: float) -> list[int]:
    """A random `share` of `slots`, in random order."""
    return rng.sample(slots, max(1, round(len(slots) * share)))


def draw_rule(
    rng: random.Random,
    group: int,
    skill_pool: Sequence[int],
    language_pool: Sequence[int],
) -> Rule:
    """One or two skills and sometimes a language, at random proficiencies."""
    grants: dict[int, float] = {}
    for slot in rng.sample(skill_pool, rng.randint(1, min(2, len(skill_pool)))):
        grants[slot] = rng.choice(SKILL_LEVELS)

    if rng.random() < 0.25:
        grants[rng.choice(language_pool)] = rng.choice(LANGUAGE_LEVELS)

    return Rule(group, grants)


def english_first(rng: random.Random, catalog: Catalog) -> list[int]:
    """About two thirds of the languages, English first."""
    english = catalog.ids.index("l-en")
    others = [slot for slot in catalog.active_slots(skills=False) if slot != english]

    return [english, *sample_share(rng, others, 0.6)]


def overlap_first_rules(
    rng: random.Random, rules: Sequence[Rule], skill: int, language: int
) -> None:
    """Make the first two rules grant one skill and one language at different
    proficiencies, so that the highest wins for the members of both groups."""
    for slot, levels in ((skill, SKILL_LEVELS), (language, LANGUAGE_LEVELS)):
        low, high = sorted(rng.sample(levels, 2))
        rules[0].grants[slot] = low
        rules[1].grants[slot] = high


def choose_nesting(rng: random.Random, hierarchy: Hierarchy) -> list[tuple[int, int]]:
    """One or two extra containment edges for the policy's `nesting`, each from a
    group to one further down that it does not contain yet."""
    below_top = hierarchy.starts[1]
    count = len(hierarchy.names)
    edges: list[tuple[int, int]] = []
    for _ in range(10):
        if len(edges) == 2 or below_top == count:
            break

        child = rng.randrange(below_top, count)
        parent = rng.randrange(hierarchy.starts[hierarchy.levels[child]])
        if parent not in hierarchy.parents[child] and (parent, child) not in edges:
            edges.append((parent, child))

    return sorted(edges)


def unmanaged(slots: Iterable[int], managed: frozenset[int]) -> list[int]:
    """The slots the policy does not name."""
    return [slot for slot in slots if slot not in managed]


def effective_grants(hierarchy: Hierarchy, policy: Policy) -> tuple[Grants, ...]:
    """What membership of each group grants, through every group containing it.

    Groups are numbered from the top down, so a group's parents come before it.
    The groups of a cycle contain each other and so share their grants; as a
    cycle lies within one level, merging them once its last group is reached
    still comes before any group they contain.
    """
    own = {rule.group: rule.grants for rule in policy.rules}
    parents = [list(group_parents) for group_parents in hierarchy.parents]
    for parent, child in policy.nesting:
        parents[child].append(parent)

    closing = {max(cycle): cycle for cycle in hierarchy.cycles}
    effective: list[Grants] = []
    for group, group_parents in enumerate(parents):
        sources = [effective[parent] for parent in group_parents]
        sources += [own[group]] if group in own else []
        effective.append(merge_grants(sources))
        if group in closing:
            shared = merge_grants([effective[member] for member in closing[group]])
            for member in closing[group]:
                effective[member] = shared

    return tuple(effective)


def merge_grants(sources: Sequence[Grants]) -> Grants:
    """The highest proficiency per slot; a single source is shared, not copied."""
    if not sources:
        return NO_GRANTS

    if len(sources) == 1:
        return sources[0]

    merged = dict(sources[0])
    for grants in sources[1:]:
        for slot, proficiency in grants.items():
            if proficiency > merged.get(slot, -1.0):
                merged[slot] = proficiency

    return merged


def policy_text(blueprint: Blueprint, seed: int) -> str:
    """The policy as YAML, under a short header comment."""
    names = blueprint.hierarchy.names
    nesting: dict[str, list[str]] = {}
    for parent, child in blueprint.policy.nesting:
        nesting.setdefault(names[parent], []).append(names[child])

    rules = [
        rule_entry(rule, names, blueprint.catalog) for rule in blueprint.policy.rules
    ]
    document: dict[str, object] = {"rules": rules}
    if nesting:
        document["nesting"] = nesting

    document["match"] = {"directory": "userName", "genesys": "email"}
    document["prune"] = True
    document["max_removals"] = "10%"
    header = (
        f"# A sample skillsync policy, generated with seed {seed} together with\n"
        "# org.json and directory.json. Groups are named by their displayName in\n"
        "# directory.json, skills and languages by their name in org.json.\n"
    )

    return header + yaml.safe_dump(
        document, sort_keys=False, default_flow_style=None, width=88
    )


def rule_entry(rule: Rule, names: Sequence[str], catalog: Catalog) -> dict[str, object]:
    """One rule as the policy file writes it: skills, then languages."""
    entry: dict[str, object] = {"group": names[rule.group]}
    slots = sorted(rule.grants)
    skills = [
        {"name": catalog.names[slot], "proficiency": rule.grants[slot]}
        for slot in slots
        if catalog.is_skill(slot)
    ]
    languages = [
        {"name": catalog.names[slot], "proficiency": int(rule.grants[slot])}
        for slot in slots
        if not catalog.is_skill(slot)
    ]
    if skills:
        entry["skills"] = skills

    if languages:
        entry["languages"] = languages

    return entry
