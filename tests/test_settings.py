import pydantic
import pytest

from facerec.settings import Settings


def test_access_control_is_off_until_a_key_or_a_secret_is_set() -> None:
    assert not Settings(_env_file=None).access_control
    assert Settings(_env_file=None, api_keys="k" * 16).access_control
    assert Settings(_env_file=None, jwt_secret_key="s" * 32).access_control


def test_api_keys_are_read_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEYS", " first-key-0123456789 ,second-key-0123456789,")
    keys = Settings(_env_file=None).api_keys
    assert [key.get_secret_value() for key in keys] == ["first-key-0123456789", "second-key-0123456789"]
    assert "first-key" not in repr(keys)


@pytest.mark.parametrize(
    ("field", "weak"),
    [("api_keys", "short-key"), ("api_keys", "sixteen chars é!"), ("jwt_secret_key", "a" * 31)],
)
def test_weak_secrets_are_refused_without_being_echoed(field: str, weak: str) -> None:
    with pytest.raises(pydantic.ValidationError) as refusal:
        Settings.model_validate({field: weak})
    assert weak not in str(refusal.value)


def test_cors_origins_are_normalised_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com/, http://localhost:5173")
    assert Settings(_env_file=None).cors_origins == ["https://app.example.com", "http://localhost:5173"]
    with pytest.raises(pydantic.ValidationError, match="must be"):
        Settings(_env_file=None, cors_origins="app.example.com")
