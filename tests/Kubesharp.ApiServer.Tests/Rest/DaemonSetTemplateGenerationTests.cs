using System.Text.Json.Nodes;
using Kubesharp.ApiServer.Rest;

namespace Kubesharp.ApiServer.Tests.Rest;

public sealed class DaemonSetTemplateGenerationTests
{
    private static string? Annotation(JsonObject metadata) => metadata["annotations"]?[DaemonSetTemplateGeneration.Annotation]?.GetValue<string>();

    [Theory]
    [InlineData("no annotations", """{"name":"ds"}""", "1")]
    [InlineData("other annotations kept", """{"name":"ds","annotations":{"a":"b"}}""", "1")]
    [InlineData("a client's positive value kept", """{"name":"ds","annotations":{"deprecated.daemonset.template.generation":"4"}}""", "4")]
    [InlineData("zero raised to one", """{"name":"ds","annotations":{"deprecated.daemonset.template.generation":"0"}}""", "1")]
    [InlineData("garbage replaced", """{"name":"ds","annotations":{"deprecated.daemonset.template.generation":"x"}}""", "1")]
    public void Create_starts_the_template_generation_at_one(string why, string metadata, string expected)
    {
        var meta = JsonNode.Parse(metadata)!.AsObject();

        DaemonSetTemplateGeneration.OnCreate(meta);

        Assert.True(expected == Annotation(meta), why);
    }

    [Theory]
    [InlineData("same template keeps it", """{"spec":{"containers":[{"image":"a"}]}}""", """{"spec":{"containers":[{"image":"a"}]}}""", "3")]
    [InlineData("changed template bumps it", """{"spec":{"containers":[{"image":"a"}]}}""", """{"spec":{"containers":[{"image":"b"}]}}""", "4")]
    public void Update_keeps_the_stored_generation_and_bumps_it_when_the_template_changed(string why, string storedTemplate, string template, string expected)
    {
        var stored = JsonNode.Parse("""{"annotations":{"deprecated.daemonset.template.generation":"3"}}""")!.AsObject();
        // The client's copy claims another value: the stored one wins, as upstream's PrepareForUpdate.
        var meta = JsonNode.Parse("""{"annotations":{"deprecated.daemonset.template.generation":"9"}}""")!.AsObject();

        DaemonSetTemplateGeneration.OnUpdate(stored, meta, JsonNode.Parse(storedTemplate), JsonNode.Parse(template));

        Assert.True(expected == Annotation(meta), why);
    }
}
