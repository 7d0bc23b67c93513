using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Auth;

namespace Kubesharp.ApiServer.Admission;

/// <summary>
/// Upstream's Priority admission plugin: a new pod's <c>spec.priority</c> (and <c>preemptionPolicy</c>) come from
/// its <c>priorityClassName</c>, or from the PriorityClass marked <c>globalDefault</c> when it names none (0 when
/// there is none). A class that does not exist, or a priority or policy in the spec that disagrees with the class,
/// is refused with 403, in upstream's words. A second <c>globalDefault</c> class is refused too.
/// </summary>
internal sealed class PriorityAdmission(ClusterObjectReader reader) : IAdmissionPlugin
{
    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (request.Subresource.Length > 0 || request.Object is not { } obj)
        {
            return;
        }

        if (request.Resource.Group.Length == 0 && request.Resource.Plural == "pods" && request.Operation == AdmissionOperation.Create)
        {
            await AdmitPodAsync(request, obj, cancellationToken);
        }
        else if (request.Resource.Group == "scheduling.k8s.io" && request.Resource.Plural == "priorityclasses" && request.Operation != AdmissionOperation.Delete)
        {
            await AdmitClassAsync(request, obj, cancellationToken);
        }
    }

    private async ValueTask AdmitPodAsync(AdmissionRequest request, JsonObject pod, CancellationToken cancellationToken)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        pod["spec"] = spec;
        var className = Text(spec["priorityClassName"]) ?? "";
        long priority;
        string? policy;
        if (className.Length == 0)
        {
            var fallback = (await reader.ListPriorityClassesAsync(cancellationToken)).Where(c => c.GlobalDefault == true).OrderBy(c => c.Value).FirstOrDefault();
            (className, priority, policy) = fallback is null ? ("", 0L, null) : (fallback.Metadata.Name, (long)(fallback.Value ?? 0), fallback.PreemptionPolicy);
        }
        else
        {
            var found = await reader.GetPriorityClassAsync(className, cancellationToken)
                ?? throw Forbidden(request, $"no PriorityClass with name {className} was found");
            (priority, policy) = (found.Value ?? 0, found.PreemptionPolicy);
        }

        if (spec["priority"] is JsonValue given && given.TryGetValue<long>(out var requested) && requested != priority)
        {
            throw Forbidden(request, $"the integer value of priority ({requested}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }

        if (className.Length > 0)
        {
            spec["priorityClassName"] = className;
        }

        spec["priority"] = priority;
        if (policy is not null)
        {
            if (Text(spec["preemptionPolicy"]) is { } own && own != policy)
            {
                throw Forbidden(request, $"the string value of PreemptionPolicy ({own}) must not be provided in pod spec; priority admission controller computed {policy} from the given PriorityClass name");
            }

            spec["preemptionPolicy"] = policy;
        }
    }

    private async ValueTask AdmitClassAsync(AdmissionRequest request, JsonObject priorityClass, CancellationToken cancellationToken)
    {
        if (priorityClass["globalDefault"] is not JsonValue flag || !flag.TryGetValue<bool>(out var isDefault) || !isDefault)
        {
            return;
        }

        var name = Text((priorityClass["metadata"] as JsonObject)?["name"]) ?? request.Name;
        var other = (await reader.ListPriorityClassesAsync(cancellationToken)).FirstOrDefault(c => c.GlobalDefault == true && c.Metadata.Name != name);
        if (other is not null)
        {
            throw Forbidden(request, $"PriorityClass {other.Metadata.Name} is already marked as default. Only one default can exist");
        }
    }

    private static StatusException Forbidden(AdmissionRequest request, string why) =>
        StatusException.Forbidden(request.Resource.Group, request.Resource.Plural, request.Name, why);

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
