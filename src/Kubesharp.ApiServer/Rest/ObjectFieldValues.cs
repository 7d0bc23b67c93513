using System.Text.Json;

namespace Kubesharp.ApiServer.Rest;

/// <summary>The value of a field label (a dotted path such as <c>spec.nodeName</c>) in an object, as field selectors compare it.</summary>
internal static class ObjectFieldValues
{
    // Upstream's boolean field labels read "false" when the field is absent.
    private static readonly HashSet<string> BooleanFields = new(StringComparer.Ordinal) { "spec.unschedulable", "spec.hostNetwork" };

    public static string? Read(JsonElement obj, string field)
    {
        // The core Event field "source" is the reporting component, as upstream's field label conversion.
        var path = field == "source" ? "source.component" : field;
        var current = obj;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return BooleanFields.Contains(field) ? "false" : "";
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => current.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => current.GetRawText(),
            _ => "",
        };
    }
}
