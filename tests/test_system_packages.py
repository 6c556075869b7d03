"""The one place system dependencies are set up: each installable from Debian's packages,
each ready (its caches made) before what uses it starts, in the order they need.

These run on warm machines too, where everything is already installed: so the install
path is exercised as far as it can be without removing a package (apt resolves every
package the registry names) and the font cache is rebuilt from an empty one."""

import shutil
import subprocess

import pytest
import system_packages
from system_packages import (
    DEPENDENCIES,
    SystemDependency,
    fontconfig_finds_cjk,
    refresh_font_cache,
    skip_or_fail,
)


def _apt(*args):
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, timeout=900,
                          env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def _candidate(package):
    """The version apt would install of ``package``, None when its lists have none."""
    shown = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True).stdout
    found = [line.split(":", 1)[1].strip() for line in shown.splitlines()
             if line.strip().startswith("Candidate:")]
    return found[0] if found and found[0] != "(none)" else None


@pytest.mark.system
@pytest.mark.parametrize("name", sorted(DEPENDENCIES))
def test_every_dependency_installs_from_debian(name):
    """Every package a dependency names is in Debian's package lists; where the dependency
    is missing, apt resolves exactly the install ``ensure`` would run.  (Where it is there,
    it may come from elsewhere, Node from NodeSource for one, which Debian's npm conflicts
    with: ensure installs nothing then, and so nothing is simulated.)"""
    if shutil.which("apt-get") is None:
        skip_or_fail("this machine has no apt-get")
    dependency = DEPENDENCIES[name]
    for package in dependency.packages:
        policy = _candidate(package)
        if policy is None:  # a fresh machine may have no package lists yet
            _apt("update")
            policy = _candidate(package)
        assert policy is not None, f"Debian's package lists have no {package}"
    if dependency.present():
        return
    missing = [package for package in dependency.packages if not system_packages._installed(package)]
    done = _apt("install", "--simulate", *missing)
    assert done.returncode == 0, f"apt-get cannot install {missing}: {done.stderr[-500:]}"
    for package in missing:
        assert f"Inst {package} " in done.stdout, (
            f"apt-get would not install {package}:\n{done.stdout[-800:]}")


@pytest.mark.system
def test_fonts_are_found_from_an_empty_fontconfig_cache(tmp_path, cjk_fonts):
    """What a fresh machine has after installing the fonts: a fontconfig cache made from
    nothing by the set-up's own refresh, in which Chinese and Korean find Noto CJK."""
    cache = tmp_path / "fontconfig-cache"
    cache.mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(f'<?xml version="1.0"?>\n<fontconfig><dir>/usr/share/fonts</dir>'
                      f"<cachedir>{cache}</cachedir></fontconfig>\n")
    env = {"FONTCONFIG_FILE": str(config), "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    assert not any(cache.iterdir())
    assert refresh_font_cache(env) is None
    assert any(".cache-" in p.name for p in cache.iterdir()), (
        "fc-cache wrote no cache into the empty cache folder")
    assert fontconfig_finds_cjk(env)


def test_a_dependency_is_ready_only_after_what_it_comes_after(monkeypatch):
    """ensure() readies ``after`` first and runs each one's ``then`` (its caches) once."""
    done = []
    first = SystemDependency(packages=(), present=lambda: "first" in done, then=lambda: done.append("first"))
    second = SystemDependency(packages=(), present=lambda: "second" in done,
                              then=lambda: done.append("second"), after=("first",))
    monkeypatch.setattr(system_packages, "DEPENDENCIES", {"first": first, "second": second})
    monkeypatch.setattr(system_packages, "_settled", {})
    assert system_packages.ensure("second") is None
    assert system_packages.ensure("second") is None
    assert done == ["first", "second"]


def test_a_dependency_that_stays_missing_says_so(monkeypatch):
    never = SystemDependency(packages=(), present=lambda: False)
    monkeypatch.setattr(system_packages, "DEPENDENCIES", {"never": never})
    monkeypatch.setattr(system_packages, "_settled", {})
    assert "never is still not usable" in system_packages.ensure("never")
