using System.Text.Json;
using static Kubesharp.ApiServer.Tests.Integration.CrdManifests;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>The real kubectl against custom resources: definitions, their objects, and their deletion.</summary>
public abstract class CustomResourceKubectlTests<TFixture>(TFixture server)
    where TFixture : ApiServerFixture
{
    private async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    private async Task<string> EstablishAsync(string group, string? manifest = null)
    {
        await OkAsync("apply", "-f", WriteTemp(manifest ?? Widget(group)));
        await OkAsync("wait", "--for=condition=Established", $"crd/widgets.{group}", "--timeout=60s");
        return group;
    }

    private static string Instance(string name, string ns, string spec) => $$"""
        {"apiVersion":"WIDGET_GV","kind":"Widget","metadata":{"name":"{{name}}","namespace":"{{ns}}"},"spec":{{spec}}}
        """;

    private static string Of(string group, string json) => json.Replace("WIDGET_GV", $"{group}/v1", StringComparison.Ordinal);

    private static string[][] Rows(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    [SkippableFact]
    public async Task A_definition_is_established_with_its_names_and_listed_by_api_resources()
    {
        // A short name of its own: other tests' widgets live in the same server.
        var group = await EstablishAsync("kubectl-names.example.com", Widget("kubectl-names.example.com").Replace("[wdg]", "[wnm]", StringComparison.Ordinal));
        await OkAsync("create", "-f", WriteTemp(Of(group, Instance("n1", "default", """{"replicas":1}""")), ".json"));

        var byShortName = await OkAsync("get", "wnm", "-o", "name");
        using var crd = JsonDocument.Parse(await OkAsync("get", "crd", $"widgets.{group}", "-o", "json"));
        var resources = Rows(await OkAsync("api-resources", "--api-group", group, "--no-headers"));
        var wide = await OkAsync("api-resources", "--api-group", group, "-o", "wide");

        var status = crd.RootElement.GetProperty("status");
        Assert.Equal("True", Condition(crd.RootElement, "NamesAccepted"));
        Assert.Equal("True", Condition(crd.RootElement, "Established"));
        Assert.Equal("WidgetList", status.GetProperty("acceptedNames").GetProperty("listKind").GetString());
        Assert.Equal(["v1"], status.GetProperty("storedVersions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["widgets", "wnm", $"{group}/v1", "true", "Widget"], Assert.Single(resources));
        Assert.Equal($"widget.{group}/n1\n", byShortName);
        Assert.Contains("delete,deletecollection,get,list,patch,create,update,watch", wide, StringComparison.Ordinal);
        Assert.Contains("all", wide, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Custom_resources_are_applied_listed_with_their_columns_patched_scaled_and_deleted()
    {
        var group = await EstablishAsync("kubectl-crud.example.com");
        var ns = "kubectl-crud";
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""", ".json"));

        Assert.Contains($"widget.{group}/w1 created", await OkAsync("apply", "-f", WriteTemp(Of(group, Instance("w1", ns, """{"replicas":2,"color":"green"}""")), ".json")), StringComparison.Ordinal);
        await OkAsync("apply", "-f", WriteTemp(Of(group, Instance("w2", ns, """{"replicas":1}""")), ".json"));
        Assert.Contains($"widget.{group}/w1 configured", await OkAsync("apply", "-f", WriteTemp(Of(group, Instance("w1", ns, """{"replicas":3,"color":"green"}""")), ".json")), StringComparison.Ordinal);
        await OkAsync("patch", $"widgets.{group}", "w2", "-n", ns, "--subresource=status", "--type=merge", "-p", """{"status":{"replicas":1,"conditions":[{"type":"Ready","status":"True"}]}}""");
        var table = Rows(await OkAsync("get", $"widgets.{group}", "-n", ns));
        var wide = Rows(await OkAsync("get", $"widgets.{group}", "-n", ns, "-o", "wide"));
        await OkAsync("patch", $"widget.{group}", "w2", "-n", ns, "--type=merge", "-p", """{"spec":{"color":"blue"}}""");
        await OkAsync("patch", $"widget.{group}", "w2", "-n", ns, "--type=json", "-p", """[{"op":"replace","path":"/spec/replicas","value":4}]""");
        Assert.Contains("scaled", await OkAsync("scale", $"widget.{group}", "w1", "-n", ns, "--replicas=7"), StringComparison.Ordinal);
        var scaled = await OkAsync("get", $"widget.{group}", "w1", "-n", ns, "-o", "jsonpath={.spec.replicas} {.metadata.generation}");
        var patched = await OkAsync("get", $"widget.{group}", "w2", "-n", ns, "-o", "jsonpath={.spec.replicas} {.spec.color} {.status.replicas}");
        var byField = await OkAsync("get", $"widgets.{group}", "-n", ns, "--field-selector", "spec.color=blue", "-o", "name");
        Assert.Contains("deleted", await OkAsync("delete", $"widget.{group}", "w1", "-n", ns), StringComparison.Ordinal);
        var left = await OkAsync("get", $"widgets.{group}", "-n", ns, "-o", "name");

        Assert.Equal(["NAME", "REPLICAS", "READY", "AGE"], table[0]);
        // kubectl prints a null cell (no Ready condition yet) as nothing, so w1's row has one word less.
        Assert.Equal(["w1", "3"], table[1][..2]);
        Assert.Equal(3, table[1].Length);
        Assert.Equal(["w2", "1", "True"], table[2][..3]);
        Assert.Equal(["NAME", "REPLICAS", "COLOR", "READY", "AGE"], wide[0]);
        Assert.Equal(["w1", "3", "green"], wide[1][..3]);
        Assert.Equal(4, wide[1].Length);
        Assert.Equal(["w2", "1", "red", "True"], wide[2][..4]);
        Assert.Equal("7 3", scaled);
        Assert.Equal("4 blue 1", patched);
        Assert.Equal($"widget.{group}/w2\n", byField);
        Assert.Equal($"widget.{group}/w2\n", left);
    }

    [SkippableFact]
    public async Task A_schema_violation_is_refused_with_upstreams_message()
    {
        var group = await EstablishAsync("kubectl-invalid.example.com");

        var (code, _, stderr) = await server.KubectlAsync("create", "-f", WriteTemp(Of(group, Instance("bad", "default", """{"replicas":"two","color":"pink"}""")), ".json"));

        Assert.NotEqual(0, code);
        Assert.Contains("The Widget \"bad\" is invalid:", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.color: Unsupported value: \"pink\": supported values: \"red\", \"green\", \"blue\"", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Unknown_fields_are_pruned_preserved_fields_kept_and_defaults_applied()
    {
        var group = await EstablishAsync("kubectl-prune.example.com");

        await OkAsync("create", "--validate=false", "-f", WriteTemp(Of(group, Instance("p", "default", """{"replicas":1,"unknown":"x","settings":{"free":{"form":true}}}""")), ".json"));
        using var doc = JsonDocument.Parse(await OkAsync("get", $"widget.{group}", "p", "-o", "json"));

        var spec = doc.RootElement.GetProperty("spec");
        Assert.False(spec.TryGetProperty("unknown", out _));
        Assert.Equal("red", spec.GetProperty("color").GetString());
        Assert.True(spec.GetProperty("settings").GetProperty("free").GetProperty("form").GetBoolean());
        Assert.Equal(1, doc.RootElement.GetProperty("metadata").GetProperty("generation").GetInt64());
    }

    [SkippableFact]
    public async Task Strategic_merge_patch_is_unsupported_for_custom_resources()
    {
        var group = await EstablishAsync("kubectl-smp.example.com");
        await OkAsync("create", "-f", WriteTemp(Of(group, Instance("s", "default", """{"replicas":1}""")), ".json"));

        var (code, _, stderr) = await server.KubectlAsync("patch", $"widget.{group}", "s", "--type=strategic", "-p", """{"spec":{"replicas":2}}""");

        Assert.NotEqual(0, code);
        Assert.Contains("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Deleting_the_definition_deletes_its_resources_and_its_kind()
    {
        var group = await EstablishAsync("kubectl-delete.example.com");
        await OkAsync("create", "-f", WriteTemp($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kubectl-delete"}}""", ".json"));
        await OkAsync("create", "-f", WriteTemp(Of(group, Instance("d1", "default", """{"replicas":1}""")), ".json"));
        await OkAsync("create", "-f", WriteTemp(Of(group, Instance("d2", "kubectl-delete", """{"replicas":1}""")), ".json"));

        Assert.Contains($"customresourcedefinition.apiextensions.k8s.io \"widgets.{group}\" deleted", await OkAsync("delete", "crd", $"widgets.{group}"), StringComparison.Ordinal);
        // kubectl has seen the CRD go; the server drops its kind when its own watch of storage sees it, a moment later.
        await EventuallyAsync("api-resources no longer lists the kind", async () => await OkAsync("api-resources", "--api-group", group, "--no-headers") == "");
        var (code, _, stderr) = await server.KubectlAsync("get", "crd", $"widgets.{group}");
        await EstablishAsync(group);
        var listed = await server.KubectlAsync("get", $"widgets.{group}", "-A", "-o", "name");

        Assert.NotEqual(0, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal("", listed.Stdout);
    }
}

public sealed class CustomResourceKubectlTestsOnSqlite(SqliteApiServerFixture server) : CustomResourceKubectlTests<SqliteApiServerFixture>(server), IClassFixture<SqliteApiServerFixture>;

public sealed class CustomResourceKubectlTestsOnEtcd(EtcdApiServerFixture server) : CustomResourceKubectlTests<EtcdApiServerFixture>(server), IClassFixture<EtcdApiServerFixture>;
