using System.Text.Json.Nodes;

namespace Kubesharp.Kubelet.Node;

/// <summary>
/// The node's CNI configuration: a <c>cni0</c> bridge that is the pods' gateway, host-local addresses from the node's
/// pod CIDR, and portmap for hostPort. containerd reads it from its <c>conf_dir</c> and reports
/// <c>NetworkReady=true</c> once it is there.
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
                ["ipMasq"] = true,
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
