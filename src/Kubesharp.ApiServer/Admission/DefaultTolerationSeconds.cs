using System.Text.Json.Nodes;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// Upstream's DefaultTolerationSeconds admission plugin: a new pod that does not already tolerate the
/// <c>node.kubernetes.io/not-ready</c> or <c>node.kubernetes.io/unreachable</c> NoExecute taints gets a
/// toleration of each for 300 seconds, so that node lifecycle evicts it five minutes after its node is lost.
/// </summary>
internal sealed class DefaultTolerationSeconds : IAdmissionPlugin
{
    private const long Seconds = 300;
    private static readonly string[] Taints = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

    public ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Operation != AdmissionOperation.Create || request.Subresource.Length > 0 || request.Resource.Group.Length > 0 || request.Resource.Plural != "pods" || request.Object is not { } pod)
        {
            return ValueTask.CompletedTask;
        }

        var spec = pod["spec"] as JsonObject ?? [];
        pod["spec"] = spec;
        var tolerations = spec["tolerations"] as JsonArray ?? [];
        foreach (var taint in Taints)
        {
            if (tolerations.OfType<JsonObject>().Any(t => Tolerates(t, taint)))
            {
                continue;
            }

            tolerations.Add(new JsonObject
            {
                ["key"] = taint,
                ["operator"] = "Exists",
                ["effect"] = "NoExecute",
                ["tolerationSeconds"] = Seconds,
            });
        }

        spec["tolerations"] = tolerations;
        return ValueTask.CompletedTask;
    }

    // Upstream checks whether any toleration already matches the taint's key with effect NoExecute (or any effect).
    private static bool Tolerates(JsonObject toleration, string taint)
    {
        var key = Text(toleration["key"]);
        var op = Text(toleration["operator"]) ?? "Equal";
        var effect = Text(toleration["effect"]) ?? "";
        var keyMatches = key == taint || (string.IsNullOrEmpty(key) && op == "Exists");
        return keyMatches && (effect.Length == 0 || effect == "NoExecute");
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
