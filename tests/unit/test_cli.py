"""The command line follows the usual conventions an operator expects."""

import argparse
import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ari_app import __version__
from ari_app.cli import build_parser


def datadesk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ari_app", *args], capture_output=True,
                          text=True, timeout=60, cwd="/")


def test_version_prints_the_package_version():
    done = datadesk("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"datadesk {__version__}"


@pytest.mark.parametrize("argv", [["--config", "x.toml", "seats"], ["seats", "--config", "x.toml"]])
def test_global_options_before_or_after_the_command(argv):
    assert build_parser().parse_args(argv).config == "x.toml"


def test_an_option_before_the_command_is_not_reset_by_the_subcommand():
    args = build_parser().parse_args(["--config", "a.toml", "--log-level", "error", "seats"])
    assert (args.config, args.log_level) == ("a.toml", "ERROR")


@pytest.mark.parametrize("given", ["debug", "DEBUG", "Debug"])
def test_log_levels_in_any_case(given):
    assert build_parser().parse_args(["run", "--log-level", given]).log_level == "DEBUG"


def test_an_unknown_log_level_is_a_usage_error_not_a_traceback():
    done = datadesk("run", "--log-level", "loud")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'loud' is not a log level" in done.stderr


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_has_help_text():
    for parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{parser.prog}: {action.option_strings or action.dest}"


def test_help_is_plain_text_and_documents_the_exit_statuses():
    done = datadesk("--help")
    assert done.returncode == 0
    assert "``" not in done.stdout and ":func:" not in done.stdout
    epilog = done.stdout.split("exit status:")[1]
    codes = [line.split()[0] for line in epilog.splitlines() if line[2:3].isdigit()]
    assert codes == ["0", "1", "2", "3", "4"]
    assert "exit status:" in datadesk("check-config", "--help").stdout
    # The operators' table says the same statuses.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    documented = re.findall(r"^\| (\d) \|", doc.split("| exit status |")[1], re.M)
    assert documented == codes


def test_bad_settings_exit_2_with_the_reason():
    done = datadesk("seats", "--config", "/nonexistent/datadesk.toml")
    assert done.returncode == 2 and "cannot read" in done.stderr


class _Readyz(BaseHTTPRequestHandler):
    """/readyz answering 503 until ``ready_after`` requests have been seen."""
    seen = 0
    ready_after = 2

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).seen += 1
        ok = self.path == "/readyz" and type(self).seen > type(self).ready_after
        self.send_response(200 if ok else 503)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _serve(tmp_path, ready_after: int):
    handler = type("Readyz", (_Readyz,), {"seen": 0, "ready_after": ready_after})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text(f'[http]\nhost = "127.0.0.1"\nport = {server.server_address[1]}\n')
    return server, handler, cfg


def test_wait_ready_polls_readyz_until_it_answers_200(tmp_path):
    server, handler, cfg = _serve(tmp_path, ready_after=2)
    try:
        done = datadesk("wait-ready", "--config", str(cfg), "--timeout", "30")
    finally:
        server.shutdown()
    assert done.returncode == 0 and done.stdout.startswith("ready:"), done.stderr
    assert handler.seen == 3


def test_wait_ready_gives_up_with_the_last_answer(tmp_path):
    server, _handler, cfg = _serve(tmp_path, ready_after=10**6)
    try:
        done = datadesk("wait-ready", "--config", str(cfg), "--timeout", "1")
    finally:
        server.shutdown()
    assert done.returncode == 1 and "not ready after 1 s" in done.stderr
    assert done.stderr.rstrip().endswith("HTTP 503"), done.stderr


class _Answer(BaseHTTPRequestHandler):
    """Every request answered with ``status`` and the bytes ``body``."""
    status, body = 200, b"{}"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("status, body, code, said", [
    (503, json.dumps({"error": "the callback store is unavailable (ConnectionError); try "
                               "again shortly"}).encode(), 4, "store is unavailable"),
    (500, b"500 Internal Server Error\n\nServer got itself in trouble", 1,
     "not a JSON object: 500 Internal Server Error"),
    (200, b'{"a": 1}{"b": 2}', 1, "not a JSON object"),      # JSONDecodeError: Extra data
    (403, json.dumps({"error": "role wallboard may not"}).encode(), 1, "role wallboard"),
])
def test_a_refused_or_broken_answer_is_one_line_and_its_exit_status(tmp_path, status, body,
                                                                    code, said):
    handler = type("Answer", (_Answer,), {"status": status, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text(f'[http]\nhost = "127.0.0.1"\nport = {server.server_address[1]}\n')
    try:
        done = datadesk("report", "--config", str(cfg), "--days", "4")
    finally:
        server.shutdown()
    assert done.returncode == code, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and said in done.stderr, done.stderr
    assert done.stderr.startswith(f"datadesk: the controller answered {status}: ")


@pytest.mark.parametrize("given, counts", [("6", (6,)), ("4,6,8", (4, 6, 8))])
def test_sizing_simulates_the_seat_counts_asked_for(given, counts):
    args = build_parser().parse_args(["sizing", "--simulate", "--seats", given])
    assert args.seats == counts
    assert build_parser().parse_args(["sizing"]).seats == tuple(range(4, 11))


@pytest.mark.parametrize("given", ["0", "six", "4,,6", "51"])
def test_a_seat_count_that_is_none_is_a_usage_error(given):
    done = datadesk("sizing", "--seats", given)
    assert done.returncode == 2 and "is not a list of seat counts" in done.stderr


def test_a_saved_profile_that_is_not_one_is_refused_in_one_line(tmp_path):
    (tmp_path / "p.json").write_text('{"profile": {"days": 1}}')
    done = datadesk("sizing", "--profile", str(tmp_path / "p.json"))
    assert done.returncode == 1 and done.stdout.startswith("datadesk: not a traffic profile: ")
    assert "Traceback" not in done.stderr


SEATS_ANSWER = {"queue": "desk", "synced": True, "desk": "free", "open": True, "seats": [
    {"agent_id": "8601", "activity": "ready", "registered": True, "in_queue": True,
     "paused_reason": "", "state": "not_inuse"},
    {"agent_id": "8602", "activity": "paused", "registered": True, "in_queue": True,
     "paused_reason": "lunch", "state": "not_inuse"}]}


def test_seats_on_a_chinese_screen_say_every_word_in_chinese(tmp_path):
    handler = type("Answer", (_Answer,), {"body": json.dumps(SEATS_ANSWER).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text(f'[http]\nhost = "127.0.0.1"\nport = {server.server_address[1]}\n'
                   'tokens = ["admin:0123456789abcdef0123"]\n[desk]\nscreen_language = "zh"\n')
    try:
        done = datadesk("seats", "--config", str(cfg))
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    # Only the seats' ids and the table's digits are not Chinese.
    assert not re.search(r"[A-Za-z_]", done.stdout), done.stdout
    assert done.stdout.startswith("数据专席 有空闲座席 (营业中)")
    assert "用餐" in done.stdout and "空闲" in done.stdout
