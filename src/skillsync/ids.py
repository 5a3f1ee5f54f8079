"""Distinct id types, so a directory id can never pass for a Genesys Cloud id.

The `match` step is the only place where a directory user becomes a Genesys Cloud
user; everywhere else mixing the two sides is a type error.
"""

from typing import NewType

DirectoryUserId = NewType("DirectoryUserId", str)
DirectoryGroupId = NewType("DirectoryGroupId", str)

GenesysUserId = NewType("GenesysUserId", str)
GenesysGroupId = NewType("GenesysGroupId", str)
SkillId = NewType("SkillId", str)
LanguageId = NewType("LanguageId", str)
