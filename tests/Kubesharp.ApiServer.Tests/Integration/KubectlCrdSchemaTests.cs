namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>A CRD's schema in the OpenAPI documents: kubectl explain reads it, and kubectl's default strict validation uses it.</summary>
public abstract class KubectlCrdSchemaTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private const string Crd = """
        {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.schema.example.com"},
         "spec":{"group":"schema.example.com","scope":"Namespaced","names":{"plural":"gadgets","singular":"gadget","kind":"Gadget"},
                 "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
                   "spec":{"type":"object","description":"What the gadget does.","properties":{
                     "size":{"type":"integer","description":"How big it is."},"color":{"type":"string"}}}}}}}]}}
        """;

    private async Task<(int Code, string Stdout, string Stderr)> ApplyAsync(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubesharp-crd-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        try
        {
            return await server.KubectlAsync("apply", "-f", path, "-n", "default");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task Explain_prints_a_custom_resources_fields_and_strict_validation_refuses_an_unknown_one()
    {
        var (code, _, stderr) = await ApplyAsync(Crd);
        Assert.True(code == 0, stderr);
        var (waited, _, waitErr) = await server.KubectlAsync("wait", "--for=condition=Established", "crd/gadgets.schema.example.com", "--timeout=30s");
        Assert.True(waited == 0, waitErr);

        var (explained, explain, explainErr) = await server.KubectlAsync("explain", "gadget.spec");
        var (refused, _, refusal) = await ApplyAsync("""{"apiVersion":"schema.example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"size":3,"bogus":true}}""");
        var (accepted, _, acceptErr) = await ApplyAsync("""{"apiVersion":"schema.example.com/v1","kind":"Gadget","metadata":{"name":"g"},"spec":{"size":3}}""");

        Assert.True(explained == 0, explainErr);
        Assert.Contains("What the gadget does.", explain, StringComparison.Ordinal);
        Assert.Contains("size", explain, StringComparison.Ordinal);
        Assert.Contains("How big it is.", explain, StringComparison.Ordinal);
        Assert.NotEqual(0, refused);
        Assert.Contains("strict decoding error: unknown field \"spec.bogus\"", refusal, StringComparison.Ordinal);
        Assert.True(accepted == 0, acceptErr);
    }
}

public sealed class KubectlCrdSchemaTestsOnSqlite(SqliteApiServerFixture server) : KubectlCrdSchemaTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class KubectlCrdSchemaTestsOnEtcd(EtcdApiServerFixture server) : KubectlCrdSchemaTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
