"""Facility files: the examples are valid; bad files name every problem with its path and line, as the file's own
version names it (the examples are version 2; tests/data/facility-v1 keeps them as version 1 files were written)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from facility.config import load_config, parse_config
from facility.errors import ConfigError
from facility.models import FacilityKind
from kiosk.cli import main as kiosk_main
from lockd.cli import main as lockd_main
from tests.conftest import CONFIG_DIR, REPO

EXAMPLES = sorted(CONFIG_DIR.glob("*.toml"))
REGUS = (CONFIG_DIR / "regus-shinjuku.toml").read_text()
H1T = (CONFIG_DIR / "h1t-shibuya.toml").read_text()
VERSION_1 = REPO / "tests" / "data" / "facility-v1"  # the examples as they were before spaces (version 1)
REGUS_V1 = (VERSION_1 / "regus-shinjuku.toml").read_text()
H1T_V1 = (VERSION_1 / "h1t-shibuya.toml").read_text()


def problems_of(text: str) -> list:
    """The problems a facility file's text is refused with."""
    with pytest.raises(ConfigError) as refused:
        parse_config(text, "test.toml")
    return refused.value.problems


def test_every_example_file_is_valid_and_of_the_current_version() -> None:
    kinds = {kind for path in EXAMPLES for kind in load_config(path).kinds()}
    assert kinds == set(FacilityKind)  # every kind of space the guide knows is in some example
    assert all(path.read_text().count("\nversion = 2") == 1 for path in EXAMPLES)


@pytest.mark.parametrize(
    ("main", "good", "wrong_program"),
    [
        (kiosk_main, "regus-shinjuku.toml", "h1t-shibuya.toml"),
        (lockd_main, "h1t-shibuya.toml", "regus-shinjuku.toml"),
    ],
)
def test_check_config_exit_codes(main, good: str, wrong_program: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["--check-config", str(CONFIG_DIR / good)]) == 0
    assert "OK" in capsys.readouterr().out
    # A valid file for the other program is still invalid for this one, and says why.
    assert main(["--check-config", str(CONFIG_DIR / wrong_program)]) == 1
    assert "INVALID" in capsys.readouterr().out


@pytest.mark.parametrize("text", [REGUS, REGUS_V1], ids=["version 2", "version 1"])
def test_check_config_prints_path_and_line_and_exits_1(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("time_limit_minutes = 240", 'time_limit_minutes = 5\ncolour = "blue"'))
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--check-config", str(bad)],
        capture_output=True,
        text=True,
        cwd=CONFIG_DIR.parent,
    )
    assert done.returncode == 1
    line_of_limit = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("time_limit_minutes ="))
    assert f"line {line_of_limit}: rules.time_limit_minutes: Input should be greater than or equal to 15" in done.stdout
    assert f"line {line_of_limit + 1}: rules.colour: unknown key" in done.stdout


# What a space holds (its kind, capacity, companions, desk checks) is named by the space's path in a version 2 file,
# and as the version 1 file wrote it (at the top) in a version 1 file.
SPACE_VALUES = [
    ('kind = "drop_in"', 'kind = "sauna"', "spaces.0.kind", "facility.kind", "Input should be"),
    ("few_left_at = 5", "few_left_at = 40", "spaces.0.capacity", "seats", "must be below total"),
    ("total = 40", "total = 0", "spaces.0.capacity.total", "seats.total", "greater than or equal to 1"),
    (
        'photo_id = "every_visit"',
        'photo_id = "sometimes"',
        "spaces.0.desk_checks.photo_id",
        "desk_checks.photo_id",
        "Input should be",
    ),
    (
        "drop_in_fee_yen = 2200",
        "drop_in_fee_yen = 2200\nfee = 1",
        "spaces.0.companions.fee",
        "companions.fee",
        "unknown key",
    ),
]
FACILITY_VALUES = [
    ('fri = ["09:00-18:00"]', 'fri = ["09:00-25:00"]', "hours.fri.0", "not a time of day"),
    ('fri = ["09:00-18:00"]', 'fri = ["09:00-09:00"]', "hours.fri.0", "same time"),
    ('fri = ["09:00-18:00"]', 'fri = ["09:00-13:00", "12:00-18:00"]', "hours", "overlap"),
    (
        'plans_admitted = ["individual_premium", "corporate"]',
        'plans_admitted = ["gold"]',
        "rules.plans_admitted.0",
        "Input should be",
    ),
    (
        'plans_admitted = ["individual_premium", "corporate"]',
        "plans_admitted = []",
        "rules.plans_admitted",
        "at least 1",
    ),
    (
        'base_url = "http://127.0.0.1:8710/v1"',
        'base_url = "http://api.example.jp/v1"',
        "platform.base_url",
        "https",
    ),
    (
        'public_key = "IIhkrhAAs3a19vVuNPPgTqc+SamErWvU016ELA/YN1Q="',
        'public_key = "c2hvcnQ="',
        "tokens.trusted_keys.0.public_key",
        "32 bytes",
    ),
]
IMPOSSIBLE = (
    [(REGUS, old, new, path, words) for old, new, path, words in FACILITY_VALUES]
    + [(REGUS_V1, old, new, path, words) for old, new, path, words in FACILITY_VALUES]
    + [(REGUS, old, new, path, words) for old, new, path, _, words in SPACE_VALUES]
    + [(REGUS_V1, old, new, path, words) for old, new, _, path, words in SPACE_VALUES]
)


@pytest.mark.parametrize(
    ("text", "old", "new", "path", "words"),
    IMPOSSIBLE,
    ids=[f"{'v2' if text is REGUS else 'v1'} {path}" for text, _, _, path, _ in IMPOSSIBLE],
)
def test_impossible_values_are_refused_with_path_and_line(text: str, old: str, new: str, path: str, words: str) -> None:
    assert old in text
    changed = text.replace(old, new)
    found = [p for p in problems_of(changed) if p.path == path]
    assert found, problems_of(changed)
    assert words in found[0].message
    first_changed_line = next(n for n, line in enumerate(changed.splitlines(), 1) if line != text.splitlines()[n - 1])
    assert found[0].line is not None and found[0].line <= first_changed_line


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        ('rooms = ["booth-b"]', 'rooms = ["booth-c"]', "doors.1.rooms.0", "no room 'booth-c'"),
        (
            'id = "booth-b"\nname = "ブースB / Booth B"',
            'id = "booth-a"\nname = "ブースB / Booth B"',
            "rooms.1.id",
            "used twice",
        ),
        ('id = "meeting-1"\nname = "会議室1扉', 'id = "booth-a"\nname = "会議室1扉', "doors.2.id", "used twice"),
        ('id = "meeting-1"\nname = "会議室1扉', 'id = "booth_a"\nname = "会議室1扉', "doors.2.id", "one name in Home"),
        (
            'host = "127.0.0.1"\nport = 1883\ntls = false',
            'host = "broker.example.jp"\nport = 1883\ntls = false',
            "mqtt",
            "tls = false",
        ),
        ('driver = "gpio"', 'driver = "simulated"', "doors.1", "takes no gpio pins"),
        ('purposes = ["unlock_command"', 'purposes = ["member_pass"', "tokens.trusted_keys", "unlock_command"),
        ('rooms = ["meeting-1"]\ndriver', 'rooms = ["booth-a"]\ndriver', "rooms.2.id", "no door serves it"),
    ],
)
@pytest.mark.parametrize("text", [H1T, H1T_V1], ids=["version 2", "version 1"])
def test_cross_field_rules_point_at_the_offending_entry(text: str, old: str, new: str, path: str, words: str) -> None:
    assert old in text
    found = [p for p in problems_of(text.replace(old, new, 1)) if p.path == path]
    assert found and words in found[0].message
    assert found[0].line is not None


SPACES = 'rooms = ["booth-a", "booth-b", "private-1"]'


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        (SPACES, 'rooms = ["booth-a", "booth-c", "private-1"]', "spaces.0.rooms.1", "no room 'booth-c'"),
        (SPACES, 'rooms = ["booth-a", "private-1"]', "rooms.1.id", "'booth-b' belongs to no space"),
        (SPACES, 'rooms = ["booth-a", "booth-b", "private-1", "meeting-1"]', "rooms.2.id", "belongs to 2 spaces"),
        ('id = "meeting"\nname', 'id = "booths"\nname', "spaces.1.id", "used twice"),
        ('kind = "meeting_room_unattended"', 'kind = "meeting_room_standing"', "spaces.1.kind", "Input should be"),
        (SPACES, SPACES + "\nphone_holds = true", "spaces.0.phone_holds", "capacity unit 'rooms'"),
    ],
)
def test_each_space_is_checked_at_its_own_path(old: str, new: str, path: str, words: str) -> None:
    assert old in H1T
    found = [p for p in problems_of(H1T.replace(old, new, 1)) if p.path == path]
    assert found and words in found[0].message, problems_of(H1T.replace(old, new, 1))
    assert found[0].line is not None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (REGUS.replace("version = 2", "version = 3"), "version 3 is not a facility file version"),
        (REGUS.replace("[spaces.companions]", "[companions]", 1), "keeps [companions] in its [[spaces]]"),
        (REGUS.replace('chain = "regus"', 'chain = "regus"\nkind = "drop_in"'), "keeps facility.kind in its"),
        (REGUS.replace("version = 2", ""), "[[spaces]] needs version = 2"),
    ],
    ids=[
        "unknown version",
        "version 1 table in a version 2 file",
        "facility kind in version 2",
        "spaces without version",
    ],
)
def test_a_file_is_read_in_the_form_of_its_version_only(text: str, words: str) -> None:
    assert any(words in problem.message for problem in problems_of(text)), problems_of(text)


def test_gpio_door_without_pins_is_refused() -> None:
    text = H1T.replace(
        "[doors.gpio]\nrelay_pin = 17\nrelay_active_high = true\ncontact_pin = 27\nexit_button_pin = 22\n", ""
    )
    found = [p for p in problems_of(text) if p.path == "doors.1"]
    assert found and "needs a [doors.gpio] table" in found[0].message


def test_line_numbers_follow_tables_inside_arrays() -> None:
    text = H1T.replace("relay_pin = 17", "relay_pin = 99")
    (problem,) = problems_of(text)
    assert problem.path == "doors.1.gpio.relay_pin"
    assert text.splitlines()[problem.line - 1] == "relay_pin = 99"


def test_key_id_written_beside_a_key_must_match_it() -> None:
    (problem,) = problems_of(REGUS.replace('key_id = "0075557c"', 'key_id = "deadbeef"'))
    assert problem.path == "tokens.trusted_keys.0.key_id" and "0075557c" in problem.message


def test_reception_kinds_need_seats_and_booking_kinds_need_rooms() -> None:
    no_seats = REGUS.replace("capacity = { total = 40, few_left_at = 5 }", "")
    assert [p.path for p in problems_of(no_seats)] == ["spaces.0.capacity"]
    no_rooms = H1T.replace(SPACES, "rooms = []").replace('rooms = ["meeting-1"]\n\n', "rooms = []\n\n", 1)
    assert {"spaces.0.rooms", "spaces.1.rooms"} <= {p.path for p in problems_of(no_rooms)}
    no_doors = H1T.split("[[doors]]")[0] + "[mqtt]" + H1T.split("[mqtt]")[1]
    assert [(p.path, p.message) for p in problems_of(no_doors)] == [
        ("doors", "a booking space needs at least one [[doors]] entry"),
        ("doors", "a meeting_room_unattended space needs at least one [[doors]] entry"),
    ]


def test_reception_kinds_need_seats_and_booking_kinds_need_rooms_in_a_version_1_file() -> None:
    no_seats = REGUS_V1.replace("[seats]\ntotal = 40\nfew_left_at = 5\n", "")
    assert [p.path for p in problems_of(no_seats)] == ["seats"]
    no_rooms = H1T_V1.split("[[rooms]]")[0] + "[mqtt]" + H1T_V1.split("[mqtt]")[1]
    assert {"rooms", "doors"} <= {p.path for p in problems_of(no_rooms)}


def test_toml_syntax_error_names_its_line() -> None:
    (problem,) = problems_of('[facility]\nid = "x"\nname = \n')
    assert problem.line == 3 and problem.message.startswith("TOML syntax")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "missing.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes("name = 'caf\u00e9'".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin)


@pytest.mark.parametrize("text", [REGUS, REGUS_V1], ids=["version 2", "version 1"])
def test_missing_required_key_points_at_its_table(text: str) -> None:
    problems = problems_of(text.replace('chain = "regus"\n', ""))
    table = text.splitlines().index("[facility]") + 1
    assert [(p.path, p.message, p.line) for p in problems] == [("facility.chain", "required key is missing", table)]


def test_config_reference_in_docs_matches_the_schema() -> None:
    from facility.config.reference import reference

    committed = (CONFIG_DIR.parent / "docs" / "config-reference.md").read_text()
    assert committed == reference(), "run: python -m facility.config.reference > docs/config-reference.md"


# --- the files a facility file names: there, and readable by the program's user -----------------------------------


def site_with_files(tmp_path: Path, password_file: Path) -> Path:
    """The H1T example whose broker password is at password_file (its other files where the example has them)."""
    text = H1T.replace('password_file = "demo-keys/mqtt-lockd-h1t-shibuya.pass"', f'password_file = "{password_file}"')
    site = tmp_path / "site.toml"
    site.write_text(text.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/'))
    return site


def test_check_config_names_a_missing_file_with_its_key_and_line(tmp_path: Path, capsys) -> None:
    site = site_with_files(tmp_path, tmp_path / "lockd.pass")
    assert lockd_main(["--check-config", str(site)]) == 1
    line = next(n for n, text in enumerate(site.read_text().splitlines(), 1) if text.startswith("password_file"))
    assert f"line {line}: mqtt.password_file: {tmp_path / 'lockd.pass'} does not exist" in capsys.readouterr().out


def test_lockd_started_on_a_missing_file_names_the_key_and_the_line_not_errno_2(tmp_path: Path, capsys) -> None:
    site = site_with_files(tmp_path, tmp_path / "lockd.pass")
    assert lockd_main(["--config", str(site)]) == 1
    err = capsys.readouterr().err
    assert "mqtt.password_file" in err and "line " in err and "Errno" not in err


def test_a_file_is_judged_readable_by_the_service_user_not_by_whoever_checks() -> None:
    import shutil
    import tempfile

    from facility.config.files import readable_by

    base = Path(tempfile.mkdtemp(prefix="officepass-readable-"))  # pytest's own folders are root's only
    base.chmod(0o755)
    folder = base / "etc"
    folder.mkdir()
    secret = folder / "lockd.pass"
    secret.write_text("pw")
    for mode, group, nobody_reads in (
        (0o600, "root", False),
        (0o640, "nogroup", True),
        (0o640, "root", False),
        (0o644, "root", True),
    ):
        secret.chmod(mode)
        shutil.chown(secret, "root", group)
        assert readable_by(secret, "nobody") is nobody_reads, (oct(mode), group)
        assert readable_by(secret, "root")
    secret.chmod(0o644)
    folder.chmod(0o700)  # a folder the user cannot search hides even a world-readable file
    assert not readable_by(secret, "nobody")
    shutil.rmtree(base)


def test_home_assistant_s_prefix_may_not_be_the_root_of_the_site_s_topics() -> None:
    text = H1T.replace("stale_after_minutes = 30", 'stale_after_minutes = 30\nhome_assistant_prefix = "officepass"')
    (problem,) = problems_of(text)
    assert problem.path == "lockd.home_assistant_prefix" and "would read the doors' commands" in problem.message
