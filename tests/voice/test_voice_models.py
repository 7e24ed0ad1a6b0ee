"""Model folders checked before loading, the Windows ASCII-path copy, the registry, device listing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from nurse_app.voice import (
    ModelError,
    ModelProblem,
    ModelRegistry,
    ModelState,
    ascii_model_path,
    check_model_dir,
    list_input_devices,
    model_paths_from_env,
    needs_ascii_copy,
)


def _fake_model(root: Path, *, lookahead: bool = True, skip: str = "") -> Path:
    files = ["am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "ivector/final.ie"]
    files += ["graph/HCLr.fst", "graph/Gr.fst"] if lookahead else ["graph/HCLG.fst"]
    for rel in files:
        if skip and rel.startswith(skip):
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x" * 16)
    return root


def test_complete_folder_passes_and_says_whether_it_takes_a_grammar(tmp_path: Path) -> None:
    assert check_model_dir(_fake_model(tmp_path / "a")).supports_grammar
    static = check_model_dir(_fake_model(tmp_path / "b", lookahead=False))
    assert static.ok and not static.supports_grammar


@pytest.mark.parametrize(
    ("skip", "named"),
    [("am/", "am/final.mdl"), ("conf/", "conf/mfcc.conf"), ("graph/", "graph/")],
)
def test_partial_model_names_what_is_missing(tmp_path: Path, skip: str, named: str) -> None:
    check = check_model_dir(_fake_model(tmp_path / "m", skip=skip))
    assert not check.ok and check.problem is ModelProblem.PARTIAL
    assert named in check.message


def test_missing_and_unconfigured_paths(tmp_path: Path) -> None:
    assert check_model_dir(tmp_path / "nope").problem is ModelProblem.MISSING
    assert check_model_dir("").problem is ModelProblem.NOT_CONFIGURED
    (tmp_path / "file.zip").write_bytes(b"zip")
    check = check_model_dir(tmp_path / "file.zip")
    assert check.problem is ModelProblem.MISSING and "unpack" in check.message


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads everything")
def test_unreadable_model_file(tmp_path: Path) -> None:
    root = _fake_model(tmp_path / "m")
    (root / "am/final.mdl").chmod(0)
    check = check_model_dir(root)
    assert check.problem is ModelProblem.UNREADABLE and "am/final.mdl" in check.message


def test_unreadable_when_open_fails(tmp_path: Path) -> None:
    # Root can read a chmod 0 file, so make the acoustic model a dangling symlink-free "directory file".
    root = _fake_model(tmp_path / "m")
    target = root / "am/final.mdl"
    target.unlink()
    target.mkdir()  # exists, is not a readable regular file → counted as missing, never crashes
    check = check_model_dir(root)
    assert not check.ok and check.problem is ModelProblem.PARTIAL


def test_ascii_copy_decision_by_platform(tmp_path: Path) -> None:
    chinese = tmp_path / "心内科" / "vosk-model"
    assert needs_ascii_copy(chinese, platform="win32")
    assert not needs_ascii_copy(chinese, platform="linux")
    assert not needs_ascii_copy(tmp_path / "vosk-model", platform="win32")


def test_non_ascii_model_is_copied_once_to_an_ascii_folder(tmp_path: Path) -> None:
    source = _fake_model(tmp_path / "心内科" / "模型")
    ascii_root = tmp_path / "ascii"
    progress: list[float] = []
    copy = ascii_model_path(
        source, lang="zh_CN", platform="win32", ascii_root=ascii_root, on_progress=progress.append
    )
    assert str(copy).isascii() and copy.parent == ascii_root
    assert check_model_dir(copy).ok
    assert progress[-1] == 1.0
    copied = len(progress)
    again = ascii_model_path(
        source, lang="zh_CN", platform="win32", ascii_root=ascii_root, on_progress=progress.append
    )
    assert again == copy and len(progress) == copied  # unchanged source: the copy is reused
    assert ascii_model_path(source, lang="zh_CN", platform="linux") == source


def test_copy_refuses_a_non_ascii_target(tmp_path: Path) -> None:
    source = _fake_model(tmp_path / "模型")
    with pytest.raises(ModelError) as err:
        ascii_model_path(source, lang="zh_CN", platform="win32", ascii_root=tmp_path / "目标")
    assert err.value.problem is ModelProblem.NON_ASCII_PATH


def test_registry_orders_languages_and_reports_a_broken_path(tmp_path: Path) -> None:
    registry = ModelRegistry({"ko": tmp_path / "ko", "en-US": tmp_path / "en", "zh-CN": tmp_path / "zh"})
    assert registry.languages() == ["zh_CN", "en", "ko"]
    statuses = registry.check_all()
    assert all(s.state is ModelState.INVALID and "not found" in s.message for s in statuses.values())
    done = threading.Event()
    seen = []
    registry.load_async("zh_CN", on_done=lambda status: (seen.append(status), done.set()))
    assert done.wait(10)
    assert seen[0].state is ModelState.FAILED and seen[0].problem is ModelProblem.MISSING
    with pytest.raises(ModelError, match="model folder not found"):
        registry.model("zh_CN")
    with pytest.raises(ModelError) as err:
        registry.model("fr")
    assert err.value.problem is ModelProblem.NOT_CONFIGURED


def test_model_paths_from_env() -> None:
    env = {"FOLLOWUP_VOSK_MODEL_ZH": "/opt/cn", "FOLLOWUP_VOSK_MODEL_EN": "/opt/en", "OTHER": "x"}
    assert model_paths_from_env(env) == {"zh_CN": "/opt/cn", "en": "/opt/en"}


def test_listing_input_devices_never_raises() -> None:
    devices, reason = list_input_devices()  # CI has no microphone: an empty list and a reason
    assert isinstance(devices, list)
    assert devices or reason
    for device in devices:
        assert device.sample_rate > 0 and device.channels > 0 and device.label
