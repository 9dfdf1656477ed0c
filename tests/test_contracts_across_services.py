"""Contracts that span services: the languages the gateway accepts, the grader runs and the
Judge0-compatible API names are one list; the limits are one table wherever they are read."""

from pydantic import ValidationError

from gateway import schemas
from gateway.domain import judge0 as judge0_rules
from gateway.handlers.http.judge0 import SubmissionIn, _translate
from gradeflow_shared.events import RunFile
from gradeflow_shared.languages import GRADED, LANGUAGES, MULTI
from gradeflow_shared.limits import LIMIT_FIELDS, SPECS, RunLimits
from grader.domain.languages import LANGUAGES as GRADER_LANGUAGES


def test_the_gateway_the_grader_and_judge0_ids_name_the_same_languages() -> None:
    assert set(GRADER_LANGUAGES) == set(LANGUAGES)
    assert {language.id for language in judge0_rules.LANGUAGES.values()} == set(LANGUAGES)
    assert len(judge0_rules.IDS) == len(judge0_rules.LANGUAGES), "one Judge0 id a language"
    ran = {lang for lang in LANGUAGES if schemas.RunIn(language=lang, source="x", files=_RUN_SCRIPT)}
    assert ran == set(GRADER_LANGUAGES), "a run takes every language"
    graded = {lang for lang in LANGUAGES if _takes(lang)}
    assert graded == GRADED == set(LANGUAGES) - {MULTI}, "an assignment's program every one but multi-file"
    assert judge0_rules.LANGUAGES[71].id == "python" and judge0_rules.LANGUAGES[54].id == "cpp", (
        "Judge0 CE's own ids"
    )


_RUN_SCRIPT = [RunFile(name="run", content_b64="ZWNobyBoaQo=")]


def _takes(language: str) -> bool:
    try:
        schemas.ProgramIn(language=language, source="x")
    except ValidationError:
        return False
    return True


def test_every_limit_has_one_spec_and_every_surface_reads_it() -> None:
    assert set(SPECS) == LIMIT_FIELDS
    defaults = RunLimits()
    for name, spec in SPECS.items():
        assert getattr(defaults, name) == spec.default
        assert name in schemas.AssignmentIn.model_fields and name in schemas.RunIn.model_fields
    assert judge0_rules.STATUSES[13] == "Internal Error"


def test_judge0_limits_translate_to_ours_at_the_same_bounds() -> None:
    upper = SubmissionIn(
        source_code="x",
        language_id=71,
        cpu_time_limit=15,
        wall_time_limit=30,
        memory_limit=1_048_576,
        stack_limit=131_072,
        max_processes_and_or_threads=64,
        max_file_size=4096,
    )
    run = _translate(upper, encoded=False, where="body")
    assert set(judge0_rules.LIMITS) <= set(SPECS)
    assert run.model_dump(include=set(judge0_rules.LIMITS)) == {
        n: SPECS[n].maximum for n in judge0_rules.LIMITS
    }
    defaults = _translate(SubmissionIn(source_code="x", language_id=50), encoded=False, where="body")
    assert (defaults.time_limit_ms, defaults.memory_limit_mb, defaults.wall_limit_ms) == (2000, 256, None)
