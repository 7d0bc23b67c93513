using System.Text.Json.Nodes;

namespace Kubesharp.Api.Defaulting;

/// <summary>
/// Upstream's job strategy (<c>generateSelector</c>) on create, once the Job has its UID: unless
/// <c>spec.manualSelector</c> is true, the pod template gets the <c>batch.kubernetes.io/controller-uid</c>,
/// <c>batch.kubernetes.io/job-name</c> labels and their legacy <c>controller-uid</c>, <c>job-name</c> forms
/// (labels the user set are kept; validation refuses a conflict), and the selector matches the controller UID.
/// A Job without labels of its own takes the template's, as upstream's defaulting gives it on every read.
/// Stateless and thread-safe.
/// </summary>
public static class JobSelector
{
    public const string ControllerUidLabel = "batch.kubernetes.io/controller-uid";
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string LegacyControllerUidLabel = "controller-uid";
    public const string LegacyJobNameLabel = "job-name";

    /// <summary>Generates the selector and template labels of <paramref name="job"/> in place (it must have its name and UID).</summary>
    public static void Generate(JsonObject job)
    {
        var metadata = job["metadata"] as JsonObject ?? [];
        var spec = job["spec"] as JsonObject;
        if (spec is null || spec["manualSelector"] is JsonValue manual && manual.TryGetValue<bool>(out var isManual) && isManual)
        {
            return;
        }

        var name = metadata["name"]?.GetValue<string>() ?? "";
        var uid = metadata["uid"]?.GetValue<string>() ?? "";
        var template = Child(spec, "template");
        var labels = Child(Child(template, "metadata"), "labels");
        foreach (var (key, value) in new[] { (LegacyJobNameLabel, name), (JobNameLabel, name), (LegacyControllerUidLabel, uid), (ControllerUidLabel, uid) })
        {
            if (labels[key] is null)
            {
                labels[key] = value;
            }
        }

        var matchLabels = Child(Child(spec, "selector"), "matchLabels");
        if (matchLabels[ControllerUidLabel] is null)
        {
            matchLabels[ControllerUidLabel] = uid;
        }

        if (metadata["labels"] is not JsonObject { Count: > 0 })
        {
            metadata["labels"] = labels.DeepClone();
        }
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        if (parent[name] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        parent[name] = created;
        return created;
    }
}
