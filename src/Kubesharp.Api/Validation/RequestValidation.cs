using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Checks of request bodies and options that are not stored objects: a pod's <c>Binding</c>, and the
/// <c>dryRun</c> option of a create. Messages are upstream's, byte for byte. Stateless.
/// </summary>
public static class RequestValidation
{
    /// <summary>
    /// Upstream's <c>ValidatePodBinding</c>: the target is a Node (or names no kind) and has a name. Returns
    /// the text of upstream's aggregate of the field errors, or null when the binding is valid.
    /// </summary>
    /// <remarks>
    /// Upstream's BindingREST returns these as a plain error, not a Status, so the apiserver answers them with
    /// 500 and no reason; the caller is expected to do the same (<see cref="StatusException.Unclassified"/>).
    /// </remarks>
    public static string? PodBinding(JsonObject binding)
    {
        var target = binding["target"] as JsonObject;
        var kind = String(target, "kind");
        var errors = new List<string>();
        if (kind.Length > 0 && kind != "Node")
        {
            errors.Add($"target.kind: Unsupported value: {GoText.Quote(kind)}: supported values: \"Node\", \"<empty>\"");
        }

        if (String(target, "name").Length == 0)
        {
            errors.Add("target.name: Required value");
        }

        return errors.Count == 0 ? null : GoText.Aggregate(errors);
    }

    /// <summary>
    /// Upstream's check of <c>CreateOptions.dryRun</c>: empty, or exactly <c>All</c>. Anything else is 422 Invalid on
    /// <c>CreateOptions.meta.k8s.io</c>, as the create handler answers before the request reaches any storage.
    /// </summary>
    /// <exception cref="StatusException">422 Invalid for an unsupported value.</exception>
    public static void ThrowIfInvalidDryRun(IReadOnlyList<string> dryRun)
    {
        if (dryRun.Any(v => v != "All"))
        {
            throw StatusException.Invalid("meta.k8s.io", "CreateOptions", "",
                [new StatusCause("FieldValueNotSupported", $"Unsupported value: {GoText.StringSliceLiteral(dryRun, isNil: false)}: supported values: \"All\"", "dryRun")]);
        }
    }

    private static string String(JsonObject? obj, string property) =>
        obj?[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
