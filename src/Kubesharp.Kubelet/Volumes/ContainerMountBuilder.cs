using k8s.Models;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Env;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>
/// Upstream's <c>makeMounts</c> (<c>pkg/kubelet/kubelet_pods.go</c>) for a container's volumeMounts, with its error
/// messages. Upstream bind-mounts a resolved subPath to a private place to close symlink races; here the subPath is
/// resolved to its real path, checked to stay inside the volume, and that real path is handed to the runtime. Stateless.
/// </summary>
internal static class ContainerMountBuilder
{
    public static IReadOnlyList<Mount> Build(V1Container container, PodVolumes volumes, IReadOnlyList<KeyValue> env)
    {
        var mounts = new List<Mount>();
        foreach (var vm in container.VolumeMounts ?? [])
        {
            if (!volumes.TryGet(vm.Name, out var volume))
            {
                throw new VolumeMountException($"cannot find volume \"{vm.Name}\" to mount into container \"{container.Name}\"");
            }

            var hostPath = volume.HostPath;
            var subPath = vm.SubPath ?? "";
            if (!string.IsNullOrEmpty(vm.SubPathExpr))
            {
                subPath = ExpandSubPath(vm.SubPathExpr, env);
            }

            if (subPath.Length > 0)
            {
                if (subPath.StartsWith('/'))
                {
                    throw new VolumeMountException($"error SubPath `{subPath}` must not be an absolute path");
                }

                if (subPath.Split('/').Contains(".."))
                {
                    throw new VolumeMountException($"unable to provision SubPath `{subPath}`: must not contain '..'");
                }

                hostPath = ResolveSubPath(volume.HostPath, subPath, vm.Name, container.Name);
            }

            mounts.Add(new Mount
            {
                ContainerPath = vm.MountPath,
                HostPath = hostPath,
                Readonly = vm.ReadOnlyProperty == true || volume.ReadOnly,
                Propagation = Propagation(vm.MountPropagation),
            });
        }

        return mounts;
    }

    /// <summary>Upstream's <c>ExpandContainerVolumeMounts</c>: every referenced variable must be set and non-empty.</summary>
    private static string ExpandSubPath(string expr, IReadOnlyList<KeyValue> env)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in env)
        {
            values[kv.Key] = kv.Value;
        }

        var missing = new SortedSet<string>(StringComparer.Ordinal);
        var expanded = Expansion.Expand(expr, name =>
        {
            if (!values.TryGetValue(name, out var value) || value.Length == 0)
            {
                missing.Add(name);
                return "";
            }

            return value;
        });
        return missing.Count > 0 ? throw new VolumeMountException($"missing value for {string.Join(", ", missing)}") : expanded;
    }

    /// <summary>
    /// The real path of <paramref name="subPath"/> inside the volume; missing directories are created with the volume
    /// root's mode (upstream's SafeMakeDir), and no component may lead outside the volume.
    /// </summary>
    private static string ResolveSubPath(string volumePath, string subPath, string mountName, string containerName)
    {
        try
        {
            var root = LinuxFs.RealPath(volumePath);
            var mode = File.GetUnixFileMode(root);
            var current = root;
            foreach (var part in subPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == ".")
                {
                    continue;
                }

                var next = Path.Combine(current, part);
                if (LinuxFs.Kind(next, followSymlinks: false) == FileKind.Missing)
                {
                    Directory.CreateDirectory(next);
                    File.SetUnixFileMode(next, mode);
                    current = next;
                    continue;
                }

                current = LinuxFs.RealPath(next);
                if (!Within(root, current))
                {
                    throw new VolumeMountException($"failed to prepare subPath for volumeMount \"{mountName}\" of container \"{containerName}\"");
                }
            }

            return current;
        }
        catch (IOException)
        {
            // Upstream hides the host details from the user.
            throw new VolumeMountException($"failed to create subPath directory for volumeMount \"{mountName}\" of container \"{containerName}\"");
        }
    }

    private static bool Within(string root, string path) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>Upstream's <c>translateMountPropagation</c>.</summary>
    private static MountPropagation Propagation(string? mode) => mode switch
    {
        null or "" or "None" => MountPropagation.PropagationPrivate,
        "HostToContainer" => MountPropagation.PropagationHostToContainer,
        "Bidirectional" => MountPropagation.PropagationBidirectional,
        _ => throw new VolumeMountException($"invalid MountPropagation mode: \"{mode}\""),
    };
}
