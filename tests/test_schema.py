def test_openapi_schema_lists_the_custom_models_paths(client):
    response = client.get("/api/v3/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v3/custom_models" in paths or "/api/v3/custom_models/" in str(paths)
