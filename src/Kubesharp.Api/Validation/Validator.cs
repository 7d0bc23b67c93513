using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Upstream's field validation of the built-in kinds (<c>pkg/apis/*/validation</c>) for the rules a
/// user meets first: required containers, names and images; unique container names; a workload's
/// selector agreeing with its template's labels; port ranges. Each broken rule is one cause with its
/// field path and upstream's message; the server answers 422 Invalid with all of them. Stateless.
/// </summary>
public static class Validator
{
    /// <summary>The causes of <paramref name="obj"/> (defaulted, as it would be stored); empty when valid.</summary>
    public static IReadOnlyList<StatusCause> Validate(string group, string kind, JsonObject obj)
    {
        var causes = new List<StatusCause>();
        switch (group, kind)
        {
            case ("", "Pod"):
                PodSpec(obj["spec"] as JsonObject, "spec", causes);
                break;
            case ("", "Service"):
                ServicePorts(obj["spec"]?["ports"] as JsonArray, causes);
                break;
            case ("", "ReplicationController"):
                Template(obj, "spec.template", causes);
                break;
            case ("apps", "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet"):
                Workload(obj, kind.ToLowerInvariant(), causes);
                break;
            case ("batch", "Job"):
                Template(obj, "spec.template", causes);
                break;
        }

        return causes;
    }

    /// <summary>Throws 422 Invalid with every cause, when there is any.</summary>
    public static void ThrowIfInvalid(string group, string kind, string name, JsonObject obj)
    {
        var causes = Validate(group, kind, obj);
        if (causes.Count > 0)
        {
            throw StatusException.Invalid(group, kind, name, causes);
        }
    }

    private static void Workload(JsonObject obj, string kind, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        if (spec?["selector"] is not JsonObject selectorJson)
        {
            causes.Add(Required("spec.selector"));
        }
        else
        {
            using var doc = JsonDocument.Parse(selectorJson.ToJsonString());
            var selector = LabelSelector.FromJson(doc.RootElement);
            var labels = spec["template"]?["metadata"]?["labels"] as JsonObject;
            var labelMap = labels?.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal) ?? [];
            if (selector.IsEmpty)
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"\": empty selector is invalid for {kind}", "spec.selector"));
            }
            else if (!selector.Matches(labelMap))
            {
                var shown = "map[string]string{" + string.Join(", ", labelMap.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"\"{p.Key}\":\"{p.Value}\"")) + "}";
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {shown}: `selector` does not match template `labels`", "spec.template.metadata.labels"));
            }
        }

        Template(obj, "spec.template", causes);
    }

    private static void Template(JsonObject obj, string path, List<StatusCause> causes) =>
        PodSpec(obj["spec"]?["template"]?["spec"] as JsonObject, path + ".spec", causes);

    private static void PodSpec(JsonObject? spec, string path, List<StatusCause> causes)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            causes.Add(Required($"{path}.containers"));
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var field = $"{path}.containers[{i}]";
            var c = containers[i] as JsonObject;
            var name = c?["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : null;
            if (string.IsNullOrEmpty(name))
            {
                causes.Add(Required(field + ".name"));
            }
            else if (!Names.IsDns1123Label(name))
            {
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {Names.Dns1123LabelMessage}", field + ".name"));
            }
            else if (!seen.Add(name))
            {
                causes.Add(new StatusCause("FieldValueDuplicate", $"Duplicate value: \"{name}\"", field + ".name"));
            }

            if (c?["image"] is not JsonValue image || string.IsNullOrWhiteSpace(image.ToString()))
            {
                causes.Add(Required(field + ".image"));
            }

            if (c?["ports"] is JsonArray ports)
            {
                for (var p = 0; p < ports.Count; p++)
                {
                    PortRange(ports[p]?["containerPort"], $"{field}.ports[{p}].containerPort", causes, required: true);
                }
            }
        }
    }

    private static void ServicePorts(JsonArray? ports, List<StatusCause> causes)
    {
        if (ports is null)
        {
            return;
        }

        for (var i = 0; i < ports.Count; i++)
        {
            PortRange(ports[i]?["port"], $"spec.ports[{i}].port", causes, required: true);
        }
    }

    private static void PortRange(JsonNode? value, string field, List<StatusCause> causes, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                causes.Add(Required(field));
            }

            return;
        }

        if (value is not JsonValue v || !v.TryGetValue<long>(out var port) || port is < 1 or > 65535)
        {
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {value.ToJsonString()}: must be between 1 and 65535, inclusive", field));
        }
    }

    private static StatusCause Required(string field) => new("FieldValueRequired", "Required value", field);
}
