using Kubesharp.Api.Crd;
using Kubesharp.Api.Resources;
using Kubesharp.Api.Tests.Crd;

namespace Kubesharp.Api.Tests.Resources;

public sealed class ResourceTableTests
{
    private static ResourceInfo Row(string group, string version, string plural) =>
        new(group, version, "Thing", plural, "thing", ResourceScope.Namespaced, ResourceInfo.AllVerbs, [], [], [], [], false);

    [Fact]
    public void A_custom_layer_is_swapped_whole_and_built_in_rows_stay()
    {
        var table = BuiltinResources.Table.WithCustomLayer();
        var before = table.Revision;
        var widgets = CustomResourceInfo.Rows(CrdFixtures.Established());

        table.ReplaceCustom(widgets);
        var served = table.Find("example.com", "v1", "widgets");
        table.ReplaceCustom([]);

        Assert.Same(widgets[0], served);
        Assert.Null(table.Find("example.com", "v1", "widgets"));
        Assert.NotNull(table.Find("", "v1", "pods"));
        Assert.Equal(before + 2, table.Revision);
        Assert.DoesNotContain(("example.com", "v1"), table.GroupVersions());
        Assert.Null(BuiltinResources.Table.Find("example.com", "v1", "widgets"));
    }

    [Fact]
    public void Custom_rows_come_after_built_ins_and_never_replace_them()
    {
        var table = BuiltinResources.Table.WithCustomLayer();
        var impostor = Row("", "v1", "pods");

        table.ReplaceCustom([impostor, Row("example.com", "v1", "things")]);

        Assert.NotSame(impostor, table.Find("", "v1", "pods"));
        Assert.Equal(("example.com", "v1"), table.GroupVersions()[^1]);
        Assert.Equal("things", table.All[^1].Plural);
    }

    [Fact]
    public void A_table_without_a_custom_layer_refuses_one()
    {
        Assert.Throws<InvalidOperationException>(() => BuiltinResources.Table.ReplaceCustom([]));
    }
}
