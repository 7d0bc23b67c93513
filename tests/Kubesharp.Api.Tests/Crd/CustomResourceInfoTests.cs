using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Crd;
using Kubesharp.Api.Resources;
using static Kubesharp.Api.Tests.Crd.CrdFixtures;

namespace Kubesharp.Api.Tests.Crd;

public sealed class CustomResourceInfoTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_established_definition_serves_a_row_per_served_version_in_priority_order()
    {
        var crd = Established(c =>
        {
            var versions = (JsonArray)Spec(c)["versions"]!;
            foreach (var name in new[] { "v1alpha1", "v2", "v1beta1" })
            {
                var v = Version(c).DeepClone().AsObject();
                v["name"] = name;
                v["storage"] = false;
                versions.Add(v);
            }

            versions[3]!["served"] = false;
        });

        var rows = CustomResourceInfo.Rows(crd);

        Assert.Equal(["v2", "v1", "v1alpha1"], rows.Select(r => r.Version));
        var row = rows[1];
        Assert.Equal(("example.com", "Widget", "widgets", "widget", ResourceScope.Namespaced), (row.Group, row.Kind, row.Plural, row.Singular, row.Scope));
        Assert.Equal(["wd"], row.ShortNames);
        Assert.Equal(["status", "scale"], row.Subresources.Select(s => s.Name));
        Assert.Equal(("autoscaling", "v1", "Scale"), (row.Subresources[1].Group, row.Subresources[1].Version, row.Subresources[1].Kind));
        Assert.True(row.HasStatus);
        Assert.Equal("WidgetList", row.ListKind);
        Assert.Equal(["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"], row.Verbs);
        Assert.Equal("/registry/example.com/widgets/ns/w", row.StorageKey("ns", "w"));
        Assert.True(row.Custom!.MultipleVersions);
        Assert.Equal("v1", row.Custom.StorageVersion);
        Assert.NotNull(row.OpenApiV3Schema?["properties"]?["spec"]);
    }

    [Fact]
    public void A_definition_whose_names_are_not_accepted_serves_nothing()
    {
        Assert.Empty(CustomResourceInfo.Rows(CrdObject.Parse(Definition())));
    }

    [Fact]
    public void A_terminating_definition_shows_fewer_verbs_but_still_serves_updates()
    {
        var crd = Established(c => c["metadata"]!["deletionTimestamp"] = "2025-06-01T12:00:00Z");

        var row = CustomResourceInfo.Rows(crd)[0];

        Assert.Equal(["delete", "deletecollection", "get", "list", "watch"], row.Verbs);
        Assert.True(row.Supports("patch"));
        Assert.True(row.Custom!.Terminating);
    }

    [Fact]
    public void Printer_columns_follow_the_definition_and_cells_their_types()
    {
        var crd = Established(c => Version(c)["additionalPrinterColumns"] = JsonNode.Parse("""
            [{"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
             {"name":"Ratio","type":"number","jsonPath":".spec.ratio","description":"how much"},
             {"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"},
             {"name":"On","type":"boolean","jsonPath":".spec.on"},
             {"name":"Tags","type":"string","jsonPath":".spec.tags","priority":1},
             {"name":"Missing","type":"string","jsonPath":".spec.missing"},
             {"name":"Mistyped","type":"integer","jsonPath":".spec.on"},
             {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}]
            """));
        var info = CustomResourceInfo.Rows(crd)[0].Custom!;
        using var doc = JsonDocument.Parse("""
            {"metadata":{"name":"w","creationTimestamp":"2025-06-01T11:55:00Z"},"spec":{"replicas":3,"ratio":0.5,"on":true,"tags":["a","b"]},
             "status":{"conditions":[{"type":"Ready","status":"True"}]}}
            """);

        var cells = info.Cells(doc.RootElement, Now);

        Assert.Equal(["Name", "Replicas", "Ratio", "Ready", "On", "Tags", "Missing", "Mistyped", "Age"], info.Columns.Select(c => c.Name));
        Assert.Equal(["name", "", "", "", "", "", "", "", ""], info.Columns.Select(c => c.Format));
        Assert.Equal("how much", info.Columns[2].Description);
        Assert.Equal("Custom resource definition column (in JSONPath format): .spec.replicas", info.Columns[1].Description);
        Assert.Equal(1, info.Columns[5].Priority);
        Assert.Equal(new object?[] { "w", 3L, 0.5, "True", true, "[\"a\",\"b\"]", null, null, "5m" }, cells);
    }

    [Fact]
    public void Without_printer_columns_the_table_is_name_and_age()
    {
        var info = CustomResourceInfo.Rows(Established(c => Version(c).Remove("additionalPrinterColumns")))[0].Custom!;
        using var doc = JsonDocument.Parse("""{"metadata":{"name":"w","creationTimestamp":"2025-05-30T12:00:00Z"}}""");

        Assert.Equal(["Name", "Age"], info.Columns.Select(c => c.Name));
        Assert.Equal(("date", ""), (info.Columns[1].Type, info.Columns[1].Format));
        Assert.Equal(new object?[] { "w", "2d" }, info.Cells(doc.RootElement, Now));
    }

    [Theory]
    [InlineData("v1,v2,v1beta1,v10,v2alpha1,foo,v11alpha2,bar,v3beta1,v12alpha1", "v10,v2,v1,v3beta1,v1beta1,v12alpha1,v11alpha2,v2alpha1,bar,foo")]
    public void Versions_sort_by_upstream_priority(string input, string expected)
    {
        Assert.Equal(expected.Split(','), input.Split(',').Order(KubeVersionComparer.Instance));
    }
}
