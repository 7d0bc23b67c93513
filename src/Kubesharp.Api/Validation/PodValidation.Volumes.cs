using System.Text.Json.Nodes;

namespace Kubesharp.Api.Validation;

internal static partial class PodValidation
{
    /// <summary>The volume sources of the v1 API, in upstream's order of checking (<c>validateVolumeSource</c>).</summary>
    private static readonly string[] VolumeSources =
    [
        "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi", "glusterfs",
        "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc", "flexVolume", "configMap",
        "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO",
        "csi", "ephemeral", "image",
    ];

    private static readonly string[] HostPathTypes = ["", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"];

    /// <summary>Upstream's <c>ValidateVolumes</c>; returns the names of the valid volumes, which mounts may refer to.</summary>
    private static HashSet<string> Volumes(JsonObject spec, string path, Causes causes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (i, volume) in Json.Items(spec, "volumes"))
        {
            var at = $"{path}[{i}]";
            var found = new Causes();
            VolumeSource(volume, at, found);
            var name = Json.S(volume, "name");
            if (name.Length == 0)
            {
                found.Required(at + ".name");
            }
            else
            {
                found.InvalidEach(at + ".name", name, Names.Dns1123LabelErrors(name));
            }

            if (names.Contains(name))
            {
                found.Duplicate(at + ".name", name);
            }

            if (found.Count == 0)
            {
                names.Add(name);
            }
            else
            {
                causes.AddRange(found);
            }
        }

        return names;
    }

    private static void VolumeSource(JsonObject volume, string path, Causes causes)
    {
        var count = 0;
        foreach (var source in VolumeSources)
        {
            if (Json.Obj(volume, source) is not { } body)
            {
                continue;
            }

            // Upstream's message names the source as it checks it; its typo for downwardAPI is kept.
            if (count > 0)
            {
                causes.Forbidden($"{path}.{(source == "downwardAPI" ? "downwarAPI" : source)}", "may not specify more than 1 volume type");
                continue;
            }

            count++;
            var at = $"{path}.{source}";
            switch (source)
            {
                case "hostPath":
                    var hostPath = Json.S(body, "path");
                    if (hostPath.Length == 0)
                    {
                        causes.Required(at + ".path");
                        break;
                    }

                    NoBacksteps(hostPath, at + ".path", causes);
                    if (Json.Str(body, "type") is { } type && !HostPathTypes.Contains(type))
                    {
                        causes.NotSupported(at + ".type", type, HostPathTypes);
                    }

                    break;
                case "secret":
                    RequiredString(body, "secretName", at, causes);
                    FileMode(body, "defaultMode", at, causes);
                    KeyToPaths(body, at + ".items", causes);
                    break;
                case "configMap":
                    RequiredString(body, "name", at, causes);
                    FileMode(body, "defaultMode", at, causes);
                    KeyToPaths(body, at + ".items", causes);
                    break;
                case "persistentVolumeClaim":
                    RequiredString(body, "claimName", at, causes);
                    break;
                case "nfs":
                    RequiredString(body, "server", at, causes);
                    var nfsPath = Json.S(body, "path");
                    if (nfsPath.Length == 0)
                    {
                        causes.Required(at + ".path");
                    }

                    if (!nfsPath.StartsWith('/'))
                    {
                        causes.Invalid(at + ".path", nfsPath, "must be an absolute path");
                    }

                    break;
                case "downwardAPI":
                    FileMode(body, "defaultMode", at, causes);
                    break;
                case "projected":
                    FileMode(body, "defaultMode", at, causes);
                    break;
                case "csi":
                    RequiredString(body, "driver", at, causes);
                    break;
                case "emptyDir":
                    if (Json.Has(body, "sizeLimit") && ResourceValidation.Read(body["sizeLimit"]) is { Sign: < 0 })
                    {
                        causes.Forbidden(at + ".sizeLimit", "SizeLimit field must be a valid resource quantity");
                    }

                    break;
            }
        }

        if (count == 0)
        {
            causes.Required(path, "must specify a volume type");
        }
    }

    private static void RequiredString(JsonObject body, string field, string path, Causes causes)
    {
        if (Json.S(body, field).Length == 0)
        {
            causes.Required($"{path}.{field}");
        }
    }

    private static void FileMode(JsonObject body, string field, string path, Causes causes)
    {
        if (Json.Int(body, field) is { } mode && mode is < 0 or > 511)
        {
            causes.Invalid($"{path}.{field}", mode, "must be a number between 0 and 0777 (octal), both inclusive");
        }
    }

    private static void KeyToPaths(JsonObject body, string path, Causes causes)
    {
        foreach (var (i, item) in Json.Items(body, "items"))
        {
            var at = $"{path}[{i}]";
            RequiredString(item, "key", at, causes);
            var itemPath = Json.S(item, "path");
            if (itemPath.Length == 0)
            {
                causes.Required(at + ".path");
            }

            LocalNonReservedPath(itemPath, at + ".path", causes);
            FileMode(item, "mode", at, causes);
        }
    }

    private static void LocalNonReservedPath(string target, string path, Causes causes)
    {
        LocalDescendingPath(target, path, causes);
        if (target.StartsWith("..", StringComparison.Ordinal) && !target.StartsWith("../", StringComparison.Ordinal))
        {
            causes.Invalid(path, target, "must not start with '..'");
        }
    }

    private static void LocalDescendingPath(string target, string path, Causes causes)
    {
        if (target.StartsWith('/'))
        {
            causes.Invalid(path, target, "must be a relative path");
        }

        NoBacksteps(target, path, causes);
    }

    private static void NoBacksteps(string target, string path, Causes causes)
    {
        if (target.Split('/').Contains(".."))
        {
            causes.Invalid(path, target, "must not contain '..'");
        }
    }

    /// <summary>Upstream's <c>ValidateVolumeMounts</c>.</summary>
    private static void VolumeMounts(JsonObject c, HashSet<string> volumes, string path, Causes causes)
    {
        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        var devices = Json.Items(c, "volumeDevices").ToDictionary(d => Json.S(d.Item, "name"), d => Json.S(d.Item, "devicePath"));
        foreach (var (i, mount) in Json.Items(c, "volumeMounts"))
        {
            var at = $"{path}[{i}]";
            var name = Json.S(mount, "name");
            if (name.Length == 0)
            {
                causes.Required(at + ".name");
            }

            if (!volumes.Contains(name))
            {
                causes.NotFound(at + ".name", name);
            }

            var mountPath = Json.S(mount, "mountPath");
            if (mountPath.Length == 0)
            {
                causes.Required(at + ".mountPath");
            }

            if (!mountPoints.Add(mountPath))
            {
                causes.Invalid(at + ".mountPath", mountPath, "must be unique");
            }

            if (devices.ContainsKey(name))
            {
                causes.Invalid(at + ".name", name, "must not already exist in volumeDevices");
            }

            if (devices.ContainsValue(mountPath))
            {
                causes.Invalid(at + ".mountPath", mountPath, "must not already exist as a path in volumeDevices");
            }

            // Upstream checks subPath on the list's path, not the item's: kept as it words it.
            var subPath = Json.S(mount, "subPath");
            if (subPath.Length > 0)
            {
                LocalDescendingPath(subPath, path + ".subPath", causes);
            }

            var subPathExpr = Json.S(mount, "subPathExpr");
            if (subPathExpr.Length > 0)
            {
                if (subPath.Length > 0)
                {
                    causes.Invalid(at + ".subPathExpr", subPathExpr, "subPathExpr and subPath are mutually exclusive");
                }

                LocalDescendingPath(subPathExpr, path + ".subPathExpr", causes);
            }

            if (Json.Str(mount, "mountPropagation") is { } propagation)
            {
                if (propagation is not ("Bidirectional" or "HostToContainer" or "None"))
                {
                    causes.NotSupported(path + ".mountPropagation", propagation, "Bidirectional", "HostToContainer", "None");
                }
                else if (propagation == "Bidirectional" && Json.Bool(Json.Obj(c, "securityContext"), "privileged") != true)
                {
                    causes.Forbidden(path + ".mountPropagation", "Bidirectional mount propagation is available only to privileged containers");
                }
            }
        }
    }

    private static void Lifecycle(JsonObject c, long? grace, string at, Causes causes)
    {
        if (Json.Obj(c, "lifecycle") is not { } lifecycle)
        {
            return;
        }

        foreach (var hook in new[] { "postStart", "preStop" })
        {
            if (Json.Obj(lifecycle, hook) is { } handler)
            {
                Handler(handler, ["exec", "httpGet", "tcpSocket", "sleep"], grace, $"{at}.lifecycle.{hook}", causes);
            }
        }
    }

    /// <summary>Upstream's liveness, readiness and startup probe rules.</summary>
    private static void Probes(JsonObject c, long? grace, string at, Causes causes)
    {
        foreach (var kind in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (Json.Obj(c, kind) is not { } probe)
            {
                continue;
            }

            var path = $"{at}.{kind}";
            Handler(probe, ["exec", "httpGet", "tcpSocket", "grpc"], grace, path, causes);
            foreach (var field in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold" })
            {
                if (Json.Int(probe, field) is < 0 and var value)
                {
                    causes.Invalid($"{path}.{field}", value, "must be greater than or equal to 0");
                }
            }

            if (Json.Int(probe, "terminationGracePeriodSeconds") is <= 0 and var probeGrace)
            {
                causes.Invalid(path + ".terminationGracePeriodSeconds", probeGrace, "must be greater than 0");
            }

            var success = Json.Int(probe, "successThreshold") ?? 0;
            if (kind != "readinessProbe" && success != 1)
            {
                causes.Invalid(path + ".successThreshold", success, "must be 1");
            }

            if (kind == "readinessProbe" && Json.Int(probe, "terminationGracePeriodSeconds") is { } readinessGrace)
            {
                causes.Invalid(path + ".terminationGracePeriodSeconds", readinessGrace, "must not be set for readinessProbes");
            }
        }
    }

    private static void Handler(JsonObject handler, string[] kinds, long? grace, string path, Causes causes)
    {
        var count = 0;
        foreach (var kind in kinds)
        {
            if (Json.Obj(handler, kind) is not { } action)
            {
                continue;
            }

            if (count > 0)
            {
                causes.Forbidden($"{path}.{kind}", "may not specify more than 1 handler type");
                continue;
            }

            count++;
            var at = $"{path}.{kind}";
            switch (kind)
            {
                case "exec":
                    if (Json.Arr(action, "command") is not { Count: > 0 })
                    {
                        causes.Required(at + ".command");
                    }

                    break;
                case "httpGet":
                    if (Json.S(action, "path").Length == 0)
                    {
                        causes.Required(at + ".path");
                    }

                    PortNumOrName(action, "port", at, causes);
                    var scheme = Json.S(action, "scheme");
                    if (scheme is not ("HTTP" or "HTTPS"))
                    {
                        causes.NotSupported(at + ".scheme", scheme, "HTTP", "HTTPS");
                    }

                    break;
                case "tcpSocket":
                    PortNumOrName(action, "port", at, causes);
                    break;
                case "grpc":
                    var grpcPort = Json.Int(action, "port") ?? 0;
                    causes.InvalidEach(at + ".port", grpcPort, Formats.PortNumber(grpcPort));
                    break;
                case "sleep":
                    var seconds = Json.Int(action, "seconds") ?? 0;
                    if (grace is { } g && (seconds <= 0 || seconds > g))
                    {
                        causes.Invalid(at, seconds, $"must be greater than 0 and less than terminationGracePeriodSeconds ({g}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.");
                    }

                    break;
            }
        }

        if (count == 0)
        {
            causes.Required(path, "must specify a handler type");
        }
    }

    /// <summary>Upstream's <c>ValidatePortNumOrName</c> of an IntOrString field.</summary>
    public static void PortNumOrName(JsonObject owner, string field, string path, Causes causes)
    {
        var (number, name) = Json.IntOrString(owner, field);
        if (name is not null)
        {
            causes.InvalidEach($"{path}.{field}", name, Formats.PortName(name));
        }
        else
        {
            var port = number ?? 0;
            causes.InvalidEach($"{path}.{field}", port, Formats.PortNumber(port));
        }
    }
}
