"""This machine's CPU, read from a /proc/cpuinfo as Linux writes it."""

import platform

from studio.core.machine import cpu_flags, cpu_model

CPUINFO = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
           "flags\t\t: fpu sse4_2 avx2 fma\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n")


def test_the_model_name_and_flags_of_the_first_cpu(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    assert cpu_model(str(path)) == "AMD EPYC 7B13"
    assert cpu_flags(str(path)) == {"fpu", "sse4_2", "avx2", "fma"}


def test_without_cpuinfo_the_platform_answers_and_flags_are_unknown(tmp_path):
    missing = str(tmp_path / "missing")
    assert cpu_model(missing) == (platform.processor() or platform.machine())
    assert cpu_flags(missing) is None
