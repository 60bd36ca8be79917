"""The OpenAPI schema (GET /api/v3/schema/) describes what the API really answers."""

import pytest

JSON = "application/json"


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v3/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def body_schema(schema: dict, path: str, method: str, status: str) -> dict:
    content = operation(schema, path, method)["responses"][status]["content"][JSON]["schema"]
    return resolve(schema, content)


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_schema_lists_the_spec_paths_without_trailing_slashes(schema):
    paths = schema["paths"]
    for path in ("/api/v3/custom_models", "/api/v3/custom_models/{id}", "/api/v3/custom_models/{id}/data"):
        assert path in paths
    assert not [path for path in paths if path.endswith("/")]


def test_list_endpoints_are_declared_as_the_pages_they_return(schema):
    page = body_schema(schema, "/api/v3/custom_models", "get", "200")
    assert page["type"] == "object"
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert page["properties"]["results"]["type"] == "array"
    for path in ("/api/v3/languages", "/api/v3/custom_models/{id}/data"):
        listing = body_schema(schema, path, "get", "200")
        assert listing["type"] == "object" and listing["required"] == ["results"]
        assert listing["properties"]["results"]["type"] == "array"


def test_data_upload_is_declared_with_files_and_skipped(schema):
    for status in ("200", "201"):
        body = body_schema(schema, "/api/v3/custom_models/{id}/data", "put", status)
        assert set(body["required"]) == {"files", "skipped"}


def test_transcription_and_alignment_requests_answer_id_and_status(schema):
    for path in ("/api/v3/stt", "/api/v3/alignments"):
        body = body_schema(schema, path, "post", "202")
        assert set(body["properties"]) == {"id", "status"} == set(body["required"])


def test_bearer_api_keys_are_declared(schema):
    schemes = schema["components"]["securitySchemes"]
    bearer = [
        name for name, scheme in schemes.items() if scheme == {**scheme, "type": "http", "scheme": "bearer"}
    ]
    assert bearer
    assert {bearer[0]: []} in operation(schema, "/api/v3/custom_models", "get")["security"]


def test_tus_endpoints_declare_their_headers(schema):
    create = operation(schema, "/api/v3/custom_models/{id}/uploads", "post")
    headers = {p["name"]: p for p in create["parameters"] if p["in"] == "header"}
    assert headers["Tus-Resumable"]["required"] and headers["Upload-Length"]["required"]
    assert "Upload-Metadata" in headers
    assert {"Location", "Tus-Resumable", "Upload-Offset"} <= set(create["responses"]["201"]["headers"])

    patch = operation(schema, "/api/v3/custom_models/{id}/uploads/{upload_id}", "patch")
    assert {"Tus-Resumable", "Upload-Offset"} <= {
        p["name"] for p in patch["parameters"] if p["in"] == "header"
    }
    assert "application/offset+octet-stream" in patch["requestBody"]["content"]
    assert {"Tus-Resumable", "Upload-Offset"} <= set(patch["responses"]["204"]["headers"])

    head = operation(schema, "/api/v3/custom_models/{id}/uploads/{upload_id}", "head")
    assert {"Upload-Offset", "Upload-Length"} <= set(head["responses"]["200"]["headers"])


@pytest.mark.parametrize(
    "path, method, statuses",
    [
        ("/api/v3/custom_models", "post", {"401", "402", "403", "409", "422", "429"}),
        ("/api/v3/custom_models/{id}", "get", {"401", "403", "404", "429"}),
        ("/api/v3/custom_models/{id}/run", "post", {"404", "409", "429"}),
        ("/api/v3/custom_models/{id}/uploads/{upload_id}", "patch", {"404", "409", "412", "460"}),
    ],
)
def test_error_responses_are_declared_with_the_error_body(schema, path, method, statuses):
    responses = operation(schema, path, method)["responses"]
    assert statuses <= set(responses)
    for status in statuses:
        error = resolve(schema, responses[status]["content"][JSON]["schema"])
        assert set(error["required"]) == {"error", "message", "error_code", "details"}
