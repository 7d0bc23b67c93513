using System.Globalization;
using System.Text.Json.Nodes;

namespace Kubesharp.ApiServer.Rest;

/// <summary>
/// Upstream's DaemonSet strategy and apps/v1 conversion keep <c>spec.templateGeneration</c> (gone from
/// apps/v1) in the <c>deprecated.daemonset.template.generation</c> annotation: 1 on create (or the client's
/// value when it is a positive number), the stored value on update, plus one when <c>spec.template</c>
/// changed. The DaemonSet controller labels its pods with it (<c>pod-template-generation</c>).
/// </summary>
internal static class DaemonSetTemplateGeneration
{
    public const string Annotation = "deprecated.daemonset.template.generation";

    public static bool Applies(string group, string kind) => group == "apps" && kind == "DaemonSet";

    public static void OnCreate(JsonObject metadata)
    {
        var value = Read(metadata);
        Write(metadata, value is >= 1 ? value.Value : 1);
    }

    public static void OnUpdate(JsonObject storedMetadata, JsonObject metadata, JsonNode? storedTemplate, JsonNode? template)
    {
        var value = Read(storedMetadata) ?? 0;
        if (!JsonNode.DeepEquals(storedTemplate, template))
        {
            value++;
        }

        Write(metadata, Math.Max(value, 1));
    }

    private static long? Read(JsonObject metadata) =>
        metadata["annotations"]?[Annotation] is JsonValue v && v.TryGetValue<string>(out var text)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    private static void Write(JsonObject metadata, long value)
    {
        if (metadata["annotations"] is not JsonObject annotations)
        {
            metadata["annotations"] = annotations = [];
        }

        annotations[Annotation] = value.ToString(CultureInfo.InvariantCulture);
    }
}
