using System.Text.Json.Nodes;

namespace Kubesharp.Api.Validation;

internal static partial class PodValidation
{
    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    private static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];
    private static readonly string[] EnvFieldPaths = ["metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"];
    private static readonly string[] EnvResourcePaths = ["limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"];

    private static void Containers(JsonObject spec, HashSet<string> volumes, long? grace, string path, Causes causes, bool isPod)
    {
        if (Json.Arr(spec, "containers") is not { Count: > 0 })
        {
            causes.Required(path);
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, c) in Json.Items(spec, "containers"))
        {
            var at = $"{path}[{i}]";
            Common(c, volumes, at, causes);
            var name = Json.S(c, "name");
            if (!names.Add(name))
            {
                causes.Duplicate(at + ".name", name);
            }

            Lifecycle(c, grace, at, causes);
            Probes(c, grace, at, causes);
            if (Json.Has(c, "restartPolicy"))
            {
                causes.Forbidden(at + ".restartPolicy", "may not be set for non-init containers");
            }
        }

        HostPortConflicts(Json.Items(spec, "containers").Select(p => p.Item).ToList(), path, causes);
    }

    private static void InitContainers(JsonObject spec, HashSet<string> volumes, long? grace, string path, Causes causes, bool isPod)
    {
        var names = new HashSet<string>(Json.Items(spec, "containers").Select(p => Json.S(p.Item, "name")), StringComparer.Ordinal);
        foreach (var (i, c) in Json.Items(spec, "initContainers"))
        {
            var at = $"{path}[{i}]";
            Common(c, volumes, at, causes);
            var restartAlways = false;
            if (Json.Str(c, "restartPolicy") is { } policy)
            {
                if (policy != "Always")
                {
                    causes.NotSupported(at + ".restartPolicy", policy, "Always");
                }

                restartAlways = policy == "Always";
            }

            var name = Json.S(c, "name");
            if (names.Contains(name))
            {
                causes.Duplicate(at + ".name", name);
            }
            else if (name.Length > 0)
            {
                names.Add(name);
            }

            HostPortConflicts([c], path, causes);
            if (restartAlways)
            {
                Lifecycle(c, grace, at, causes);
                Probes(c, grace, at, causes);
            }
            else
            {
                foreach (var field in new[] { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe" })
                {
                    if (Json.Has(c, field))
                    {
                        causes.Forbidden($"{at}.{field}", "may not be set for init containers without restartPolicy=Always");
                    }
                }
            }
        }
    }

    /// <summary>Upstream's <c>validateContainerCommon</c>.</summary>
    private static void Common(JsonObject c, HashSet<string> volumes, string at, Causes causes)
    {
        var name = Json.S(c, "name");
        if (name.Length == 0)
        {
            causes.Required(at + ".name");
        }
        else
        {
            causes.InvalidEach(at + ".name", name, Names.Dns1123LabelErrors(name));
        }

        if (Json.S(c, "image").Length == 0)
        {
            causes.Required(at + ".image");
        }

        var messagePolicy = Json.S(c, "terminationMessagePolicy");
        if (messagePolicy.Length == 0)
        {
            causes.Required(at + ".terminationMessagePolicy");
        }
        else if (messagePolicy is not ("File" or "FallbackToLogsOnError"))
        {
            causes.NotSupported(at + ".terminationMessagePolicy", messagePolicy, "File", "FallbackToLogsOnError");
        }

        Ports(c, at + ".ports", causes);
        Env(c, at + ".env", causes);
        EnvFrom(c, at + ".envFrom", causes);
        VolumeMounts(c, volumes, at + ".volumeMounts", causes);
        var pull = Json.S(c, "imagePullPolicy");
        if (pull.Length == 0)
        {
            causes.Required(at + ".imagePullPolicy");
        }
        else if (!PullPolicies.Contains(pull))
        {
            causes.NotSupported(at + ".imagePullPolicy", pull, PullPolicies);
        }

        ResourceValidation.Container(Json.Obj(c, "resources"), at + ".resources", causes);
        ContainerSecurityContext(Json.Obj(c, "securityContext"), at + ".securityContext", causes);
    }

    /// <summary>Upstream's <c>validateContainerPorts</c>.</summary>
    private static void Ports(JsonObject c, string path, Causes causes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, port) in Json.Items(c, "ports"))
        {
            var at = $"{path}[{i}]";
            var name = Json.S(port, "name");
            if (name.Length > 0)
            {
                var errs = Formats.PortName(name);
                if (errs.Count > 0)
                {
                    causes.InvalidEach(at + ".name", name, errs);
                }
                else if (!names.Add(name))
                {
                    causes.Duplicate(at + ".name", name);
                }
            }

            var containerPort = Json.Int(port, "containerPort") ?? 0;
            if (containerPort == 0)
            {
                causes.Required(at + ".containerPort");
            }
            else
            {
                causes.InvalidEach(at + ".containerPort", containerPort, Formats.PortNumber(containerPort));
            }

            var hostPort = Json.Int(port, "hostPort") ?? 0;
            if (hostPort != 0)
            {
                causes.InvalidEach(at + ".hostPort", hostPort, Formats.PortNumber(hostPort));
            }

            Protocol(Json.S(port, "protocol"), at + ".protocol", causes);
        }
    }

    public static void Protocol(string protocol, string path, Causes causes)
    {
        if (protocol.Length == 0)
        {
            causes.Required(path);
        }
        else if (!Protocols.Contains(protocol))
        {
            causes.NotSupported(path, protocol, Protocols);
        }
    }

    private static void HostPortConflicts(List<JsonObject> containers, string path, Causes causes)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            foreach (var (p, port) in Json.Items(containers[i], "ports"))
            {
                var hostPort = Json.Int(port, "hostPort") ?? 0;
                if (hostPort == 0)
                {
                    continue;
                }

                var key = $"{Json.S(port, "protocol")}/{Json.S(port, "hostIP")}/{hostPort}";
                if (!seen.Add(key))
                {
                    causes.Duplicate($"{path}[{i}].ports[{p}].hostPort", key);
                }
            }
        }
    }

    /// <summary>Upstream's <c>ValidateEnv</c>; names follow the relaxed rule of v1.32 (RelaxedEnvironmentVariableValidation is on by default there).</summary>
    private static void Env(JsonObject c, string path, Causes causes)
    {
        foreach (var (i, env) in Json.Items(c, "env"))
        {
            var at = $"{path}[{i}]";
            var name = Json.S(env, "name");
            if (name.Length == 0)
            {
                causes.Required(at + ".name");
            }
            else
            {
                causes.InvalidEach(at + ".name", name, Formats.RelaxedEnvVarName(name));
            }

            if (Json.Obj(env, "valueFrom") is { } from)
            {
                ValueFrom(env, from, at + ".valueFrom", causes);
            }
        }
    }

    private static void ValueFrom(JsonObject env, JsonObject from, string path, Causes causes)
    {
        var sources = 0;
        if (Json.Obj(from, "fieldRef") is { } fieldRef)
        {
            sources++;
            FieldRef(fieldRef, path + ".fieldRef", causes);
        }

        if (Json.Obj(from, "resourceFieldRef") is { } resourceRef)
        {
            sources++;
            var resource = Json.S(resourceRef, "resource");
            if (resource.Length == 0)
            {
                causes.Required(path + ".resourceFieldRef.resource");
            }
            else if (!EnvResourcePaths.Contains(resource) && !resource.StartsWith("requests.hugepages-", StringComparison.Ordinal) && !resource.StartsWith("limits.hugepages-", StringComparison.Ordinal))
            {
                causes.NotSupported(path + ".resourceFieldRef.resource", resource, EnvResourcePaths);
            }
        }

        foreach (var kind in new[] { "configMapKeyRef", "secretKeyRef" })
        {
            if (Json.Obj(from, kind) is not { } keyRef)
            {
                continue;
            }

            sources++;
            var refName = Json.S(keyRef, "name");
            causes.InvalidEach($"{path}.{kind}.name", refName, Names.Dns1123SubdomainErrors(refName));
            var key = Json.S(keyRef, "key");
            if (key.Length == 0)
            {
                causes.Required($"{path}.{kind}.key");
            }
            else
            {
                causes.InvalidEach($"{path}.{kind}.key", key, Formats.ConfigMapKey(key));
            }
        }

        if (sources == 0)
        {
            causes.Invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        }
        else if (Json.S(env, "value").Length != 0)
        {
            causes.Invalid(path, "", "may not be specified when `value` is not empty");
        }
        else if (sources > 1)
        {
            causes.Invalid(path, "", "may not have more than one field specified at a time");
        }
    }

    private static void FieldRef(JsonObject fieldRef, string path, Causes causes)
    {
        if (Json.S(fieldRef, "apiVersion").Length == 0)
        {
            causes.Required(path + ".apiVersion");
            return;
        }

        var fieldPath = Json.S(fieldRef, "fieldPath");
        if (fieldPath.Length == 0)
        {
            causes.Required(path + ".fieldPath");
            return;
        }

        var bracket = fieldPath.IndexOf('[', StringComparison.Ordinal);
        if (bracket > 0 && fieldPath.EndsWith(']'))
        {
            var field = fieldPath[..bracket];
            var subscript = fieldPath[(bracket + 1)..^1].Trim('\'');
            switch (field)
            {
                case "metadata.annotations":
                    causes.InvalidEach(path, subscript.ToLowerInvariant(), Formats.QualifiedName(subscript.ToLowerInvariant()));
                    break;
                case "metadata.labels":
                    causes.InvalidEach(path, subscript, Formats.QualifiedName(subscript));
                    break;
                default:
                    causes.Invalid(path, field, "does not support subscript");
                    break;
            }
        }
        else if (!EnvFieldPaths.Contains(fieldPath))
        {
            causes.NotSupported(path + ".fieldPath", fieldPath, EnvFieldPaths);
        }
    }

    private static void EnvFrom(JsonObject c, string path, Causes causes)
    {
        foreach (var (i, from) in Json.Items(c, "envFrom"))
        {
            var at = $"{path}[{i}]";
            var prefix = Json.S(from, "prefix");
            if (prefix.Length > 0)
            {
                causes.InvalidEach(at + ".prefix", prefix, Formats.RelaxedEnvVarName(prefix));
            }

            var sources = 0;
            foreach (var kind in new[] { "configMapRef", "secretRef" })
            {
                if (Json.Obj(from, kind) is not { } source)
                {
                    continue;
                }

                sources++;
                var name = Json.S(source, "name");
                if (name.Length == 0)
                {
                    causes.Required($"{at}.{kind}.name");
                }
                else
                {
                    causes.InvalidEach($"{at}.{kind}.name", name, Names.ForKind("", "ConfigMap", name, prefix: true));
                }
            }

            if (sources == 0)
            {
                causes.Invalid(path, "", "must specify one of: `configMapRef` or `secretRef`");
            }
            else if (sources > 1)
            {
                causes.Invalid(path, "", "may not have more than one field specified at a time");
            }
        }
    }

    private static void ContainerSecurityContext(JsonObject? context, string path, Causes causes)
    {
        if (context is null)
        {
            return;
        }

        foreach (var field in new[] { "runAsUser", "runAsGroup" })
        {
            if (Json.Int(context, field) is { } id && id is < 0 or > uint.MaxValue)
            {
                causes.Invalid($"{path}.{field}", id, Formats.InclusiveRange(0, uint.MaxValue));
            }
        }

        if (Json.Str(context, "procMount") is { } procMount && procMount is not ("Default" or "Unmasked"))
        {
            causes.NotSupported(path + ".procMount", procMount, "Default", "Unmasked");
        }

        if (Json.Bool(context, "allowPrivilegeEscalation") == false && Json.Bool(context, "privileged") == true)
        {
            causes.Invalid(path, new GoLiteral("&core.SecurityContext{...}"), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
        }
    }
}
