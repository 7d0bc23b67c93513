using System.Text.Json.Nodes;

namespace Kubesharp.Kubelet.Node;

/// <summary>
/// The node's CNI configuration: a <c>cni0</c> bridge that is the pods' gateway, host-local addresses from the node's
/// pod CIDR, and portmap for hostPort. containerd reads it from its <c>conf_dir</c> and reports
/// <c>NetworkReady=true</c> once it is there. The bridge does not masquerade (<c>ipMasq: false</c>): the agent's pod
/// route controller (<c>Kubesharp.Proxy.Routes</c>) masquerades only traffic that leaves the cluster CIDR, as flannel
/// does, so that a pod reached from another node's pod sees that pod's own address.
/// </summary>
public static class CniConfig
{
    public const string FileName = "10-kubesharp.conflist";

    public static string Render(string podCidr, string ipamDataDir) => new JsonObject
    {
        ["cniVersion"] = "1.0.0",
        ["name"] = "kubesharp",
        ["plugins"] = new JsonArray(
            new JsonObject
            {
                ["type"] = "bridge",
                ["bridge"] = "cni0",
                ["isGateway"] = true,
                ["ipMasq"] = false,
                ["hairpinMode"] = true,
                ["ipam"] = new JsonObject
                {
                    ["type"] = "host-local",
                    ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = podCidr })),
                    ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }),
                    ["dataDir"] = ipamDataDir,
                },
            },
            new JsonObject
            {
                ["type"] = "portmap",
                ["capabilities"] = new JsonObject { ["portMappings"] = true },
            }),
    }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// Removes the <c>cni0</c> bridge when it carries an address outside <paramref name="podCidr"/> (left by an earlier
    /// node of another pod CIDR on this host): the bridge plugin refuses to add pods to it otherwise
    /// (<c>"cni0" already has an IP address different from ...</c>). Returns true when it removed it.
    /// </summary>
    public static bool RemoveStaleBridge(string podCidr)
    {
        var shown = Run("ip", "-4", "-o", "addr", "show", "dev", "cni0");
        if (shown is null)
        {
            return false;
        }

        var network = System.Net.IPNetwork.Parse(podCidr);
        var stale = shown.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(fields => Array.IndexOf(fields, "inet") is var i and >= 0 && i + 1 < fields.Length ? fields[i + 1].Split('/')[0] : null)
            .Any(address => address is not null && !network.Contains(System.Net.IPAddress.Parse(address)));
        return stale && Run("ip", "link", "delete", "cni0") is not null;
    }

    private static string? Run(string file, params string[] args)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Writes the configuration when it differs from what is there (atomically: temp file, then rename); true when it wrote.</summary>
    public static bool Write(string confDir, string podCidr, string ipamDataDir)
    {
        Directory.CreateDirectory(confDir);
        var path = Path.Combine(confDir, FileName);
        var content = Render(podCidr, ipamDataDir);
        if (File.Exists(path) && File.ReadAllText(path) == content)
        {
            return false;
        }

        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
        return true;
    }
}
