namespace Kubesharp.Kubelet.Tests.Node;

public sealed class NodeProcessSettingsTests
{
    [Fact]
    public void The_settings_are_added_to_the_environment_with_the_marker_and_the_users_own_values_kept()
    {
        var current = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = "/usr/bin", ["DOTNET_gcConcurrent"] = "1" };

        var environment = NodeProcessSettings.Environment(current);

        Assert.NotNull(environment);
        Assert.Contains("PATH=/usr/bin", environment);
        Assert.Contains("DOTNET_TieredPGO=0", environment);
        Assert.Contains("MALLOC_ARENA_MAX=1", environment);
        Assert.Contains("DOTNET_gcConcurrent=1", environment);
        Assert.DoesNotContain("DOTNET_gcConcurrent=0", environment);
        Assert.Contains($"{NodeProcessSettings.Marker}=1", environment);
        Assert.Equal(environment.Count, environment.Select(e => e[..e.IndexOf('=', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public void Nothing_is_done_once_applied_or_when_turned_off(string marker) =>
        Assert.Null(NodeProcessSettings.Environment(new Dictionary<string, string>(StringComparer.Ordinal) { [NodeProcessSettings.Marker] = marker }));

    [Fact]
    public void The_process_runs_again_through_its_apphost_or_through_dotnet_with_its_assembly()
    {
        Assert.Equal(["/opt/ks/kubesharp", "agent", "--node-name", "n1"], NodeProcessSettings.Arguments("/opt/ks/kubesharp", "/opt/ks/kubesharp.dll", ["agent", "--node-name", "n1"]));
        Assert.Equal(["/usr/share/dotnet/dotnet", "/opt/ks/kubesharp.dll", "kubelet"], NodeProcessSettings.Arguments("/usr/share/dotnet/dotnet", "/opt/ks/kubesharp.dll", ["kubelet"]));
    }

    [Fact]
    public void The_node_executable_beside_this_one_is_run_instead_unless_this_is_it_or_the_user_turned_it_off()
    {
        var dir = Directory.CreateTempSubdirectory("node-executable-").FullName;
        try
        {
            var none = new Dictionary<string, string>(StringComparer.Ordinal);
            Assert.Null(NodeProcessSettings.NodeExecutable(Path.Combine(dir, "kubesharp"), dir, none));

            var node = Path.Combine(dir, NodeProcessSettings.NodeExecutableName);
            File.WriteAllText(node, "");
            Assert.Equal(node, NodeProcessSettings.NodeExecutable(Path.Combine(dir, "kubesharp"), dir, none));
            Assert.Equal(node, NodeProcessSettings.NodeExecutable("/usr/share/dotnet/dotnet", dir, none));
            Assert.Null(NodeProcessSettings.NodeExecutable(node, dir, none));
            Assert.Null(NodeProcessSettings.NodeExecutable(Path.Combine(dir, "kubesharp"), dir, new Dictionary<string, string>(StringComparer.Ordinal) { [NodeProcessSettings.NodeExecutableVariable] = "0" }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Only_this_process_s_diagnostic_sockets_are_removed_before_it_runs_again()
    {
        var dir = Directory.CreateTempSubdirectory("diag-sockets-").FullName;
        try
        {
            string[] names = ["dotnet-diagnostic-123-456-socket", "dotnet-diagnostic-1234-456-socket", "dotnet-diagnostic-12-456-socket", "other-123-socket"];
            foreach (var name in names)
            {
                File.WriteAllText(Path.Combine(dir, name), "");
            }

            NodeProcessSettings.RemoveDiagnosticSockets(dir, 123);

            Assert.Equal(names[1..].Order(StringComparer.Ordinal), Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
