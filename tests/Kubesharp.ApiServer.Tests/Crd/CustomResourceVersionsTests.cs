using System.Text;
using Kubesharp.ApiServer.Crd;

namespace Kubesharp.ApiServer.Tests.Crd;

public sealed class CustomResourceVersionsTests
{
    [Theory]
    [InlineData("""{"apiVersion":"g/v1","kind":"W","metadata":{"name":"a"}}""", "g/v2", """{"apiVersion":"g/v2","kind":"W","metadata":{"name":"a"}}""")]
    [InlineData("""{"kind":"W","spec":{"apiVersion":"inner"},"apiVersion":"g/v1"}""", "g/v1beta1", """{"kind":"W","spec":{"apiVersion":"inner"},"apiVersion":"g/v1beta1"}""")]
    [InlineData("""{"kind":"W"}""", "g/v1", """{"apiVersion":"g/v1","kind":"W"}""")]
    [InlineData("""{}""", "g/v1", """{"apiVersion":"g/v1"}""")]
    public void Only_the_top_level_apiVersion_is_rewritten(string stored, string apiVersion, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(CustomResourceVersions.Rewrite(Encoding.UTF8.GetBytes(stored), apiVersion)));
    }

    [Fact]
    public void An_object_already_in_the_version_is_returned_as_it_is()
    {
        var stored = Encoding.UTF8.GetBytes("""{"apiVersion":"g/v1","kind":"W"}""");

        Assert.Same(stored, CustomResourceVersions.Rewrite(stored, "g/v1"));
    }
}
