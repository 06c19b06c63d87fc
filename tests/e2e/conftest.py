import pytest

from harness import Envoy, Mock, SetupError


def _or_fail(factory):
    try:
        return factory()
    except SetupError as e:  # missing Envoy or build output: fail loudly, never skip
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def mock():
    m = _or_fail(Mock)
    yield m
    m.stop()


@pytest.fixture(autouse=True)
def _fresh_mock_record(request):
    if "mock" in request.fixturenames:
        request.getfixturevalue("mock").reset()


@pytest.fixture(scope="session")
def start_envoy(mock, tmp_path_factory):
    """Starts an Envoy with a given plugin config; all are stopped at the end of the session."""
    started = []

    def start(plugin_config: str = "{}", **kwargs) -> Envoy:
        workdir = tmp_path_factory.mktemp("envoy")
        envoy = _or_fail(lambda: Envoy(workdir, mock.port, plugin_config, **kwargs))
        started.append(envoy)
        return envoy

    yield start
    for e in started:
        e.stop()


@pytest.fixture(scope="session")
def envoy(start_envoy):
    """Envoy with the built-in default policy, headers streamed (Istio-compatible setup)."""
    return start_envoy("{}")


@pytest.fixture(scope="session")
def envoy_held(start_envoy):
    """Envoy with `holdHeaders` and Envoy's allow_on_headers_stop_iteration."""
    return start_envoy('{"holdHeaders": true}', allow_header_stop=True)
