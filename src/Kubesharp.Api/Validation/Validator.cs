using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's field validation of the built-in kinds (<c>pkg/apis/*/validation</c> and apimachinery's object
/// metadata rules), on the JSON of a defaulted object as it would be stored: <see cref="Validate"/> on create,
/// <see cref="ValidateUpdate"/> on update and patch (the new object's rules plus what may not change). Each
/// broken rule is one cause with upstream's reason, message and field path; the server answers 422 Invalid
/// with all of them. A malformed quantity is refused earlier, as upstream's decoding refuses it: 400
/// BadRequest. Kinds without rules of their own get the metadata rules. Stateless and thread-safe.
/// </summary>
public static class Validator
{
    /// <summary>The causes of <paramref name="obj"/> on create; empty when valid.</summary>
    public static IReadOnlyList<StatusCause> Validate(string group, string kind, JsonObject obj) => Object(group, kind, obj, null).List;

    /// <summary>The causes of an update from <paramref name="oldObj"/> (as stored) to <paramref name="newObj"/>; empty when valid.</summary>
    public static IReadOnlyList<StatusCause> ValidateUpdate(string group, string kind, JsonObject oldObj, JsonObject newObj)
    {
        var causes = Object(group, kind, newObj, oldObj);
        UpdateValidation.Rules(group, kind, oldObj, newObj, causes);
        return causes.List;
    }

    /// <summary>Throws 400 for a malformed quantity, else 422 Invalid with every cause, when there is any.</summary>
    public static void ThrowIfInvalid(string group, string kind, string name, JsonObject obj)
    {
        DecodeCheck.ThrowIfUndecodable(group, kind, obj);
        var causes = Validate(group, kind, obj);
        if (causes.Count > 0)
        {
            throw StatusException.Invalid(group, kind, name, causes);
        }
    }

    /// <summary>
    /// The update form of <see cref="ThrowIfInvalid"/>. A <paramref name="status"/> update (the <c>/status</c>
    /// subresource) keeps the stored spec, so only the metadata rules apply to it.
    /// </summary>
    public static void ThrowIfInvalidUpdate(string group, string kind, string name, JsonObject oldObj, JsonObject newObj, bool status = false)
    {
        DecodeCheck.ThrowIfUndecodable(group, kind, newObj);
        IReadOnlyList<StatusCause> causes;
        if (status)
        {
            var found = new Causes();
            MetaValidation.ObjectMeta(group, kind, newObj, found);
            causes = found.List;
        }
        else
        {
            causes = ValidateUpdate(group, kind, oldObj, newObj);
        }

        if (causes.Count > 0)
        {
            throw StatusException.Invalid(group, kind, name, causes);
        }
    }

    private static Causes Object(string group, string kind, JsonObject obj, JsonObject? oldObj)
    {
        var causes = new Causes();
        MetaValidation.ObjectMeta(group, kind, obj, causes);
        switch (group, kind)
        {
            case ("", "Pod"):
                PodValidation.Pod(obj, causes, create: oldObj is null);
                break;
            case ("", "Service"):
                ServiceValidation.Service(obj, causes);
                break;
            case ("", "ReplicationController"):
                WorkloadValidation.ReplicationController(obj, causes);
                break;
            case ("", "ConfigMap"):
                ConfigValidation.ConfigMap(obj, causes);
                break;
            case ("", "Secret"):
                ConfigValidation.Secret(obj, causes);
                break;
            case ("", "Namespace"):
                ClusterValidation.Namespace(obj, causes);
                break;
            case ("", "Node"):
                ClusterValidation.Node(obj, causes);
                break;
            case ("", "PersistentVolumeClaim"):
                ClusterValidation.PersistentVolumeClaim(obj, causes);
                break;
            case ("apps", "Deployment"):
                WorkloadValidation.Deployment(obj, causes);
                break;
            case ("apps", "ReplicaSet"):
                WorkloadValidation.ReplicaSet(obj, causes);
                break;
            case ("apps", "StatefulSet"):
                WorkloadValidation.StatefulSet(obj, causes);
                break;
            case ("apps", "DaemonSet"):
                WorkloadValidation.DaemonSet(obj, causes);
                break;
            case ("batch", "Job"):
                BatchValidation.Job(obj, causes);
                break;
            case ("batch", "CronJob"):
                BatchValidation.CronJob(obj, causes, oldObj);
                break;
            case ("coordination.k8s.io", "Lease"):
                ClusterValidation.Lease(obj, causes);
                break;
            case ("scheduling.k8s.io", "PriorityClass"):
                ClusterValidation.PriorityClass(obj, causes);
                break;
            case ("policy", "PodDisruptionBudget"):
                ClusterValidation.PodDisruptionBudget(obj, causes);
                break;
        }

        return causes;
    }
}
