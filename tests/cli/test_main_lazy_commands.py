"""`engine-studio build` imports only the build command's module and the session (not numpy, not
onnx, not the graph code of `layers`); the top-level help still lists every command, and loads
none of what the commands run."""

import subprocess
import sys

from studio.cli.main import COMMANDS, _command_in


def _modules_after(argv: list[str]) -> set[str]:
    code = ("import sys\nfrom studio.cli.main import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_build_parses_without_numpy_onnx_or_tensorrt():
    mods = _modules_after(["build", "--help"])
    assert "studio.cli.cmd_build" in mods
    for heavy in ("numpy", "onnx", "tensorrt_rtx", "studio.cli.cmd_data", "studio.cli.cmd_layers"):
        assert heavy not in mods, heavy


def test_every_command_parser_loads_without_numpy_onnx_or_the_reports():
    # `engine-studio --help` builds every command's parser: 0.08 s, where importing what the
    # commands run (onnx alone 0.6 s) made it 0.85 s.
    mods = _modules_after(["--help"])
    assert {f"studio.cli.cmd_{name}" for name in COMMANDS} <= mods
    for heavy in ("numpy", "onnx", "onnxruntime", "studio.core.reports.report_model"):
        assert heavy not in mods, heavy


def test_top_level_help_lists_every_command(capsys):
    from studio.cli.main import main
    try:
        main(["--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name.replace("_", "-") in out


def test_command_in():
    assert _command_in(["--debug", "build", "m.onnx"]) == "build"
    assert _command_in(["demo-model", "--random"]) == "demo_model"
    assert _command_in(["--help", "build"]) is None
    assert _command_in(["bogus"]) is None
    assert _command_in([]) is None


def test_the_session_a_build_goes_through_loads_no_numpy_onnx_or_onnxruntime():
    # `engine-studio build` runs Session.build: importing every step of the session (benchmark,
    # precision search, reports) took 1.15 s, on a build of ~1.3 s whose studio overhead is held
    # to 5 % (benchmarks/bench_build.py). Each step imports what it runs.
    code = "import sys\nimport studio.core.session\nprint(' '.join(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    mods = set(r.stdout.split())
    for heavy in ("numpy", "onnx", "onnxruntime", "studio.core.reports.report_model", "studio.core.bench.harness"):
        assert heavy not in mods, heavy
