using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Manager;

namespace Kubesharp.Controllers.Tests.Manager;

public sealed class ControllerSelectionTests
{
    private static readonly ControllerDescriptor[] Known = [Descriptor("namespace-controller"), Descriptor("garbage-collector-controller"), Descriptor("pod-garbage-collector-controller")];

    private static readonly Dictionary<string, string> Aliases = new() { ["namespace"] = "namespace-controller", ["podgc"] = "pod-garbage-collector-controller" };

    private static ControllerDescriptor Descriptor(string name) => new(name, _ => throw new InvalidOperationException("not built in these tests"));

    [Theory]
    [InlineData("all", new[] { "*" }, new[] { "namespace-controller", "garbage-collector-controller", "pod-garbage-collector-controller" })]
    [InlineData("all but one", new[] { "*,-garbage-collector-controller" }, new[] { "namespace-controller", "pod-garbage-collector-controller" })]
    [InlineData("separate entries", new[] { "*", "-namespace-controller" }, new[] { "garbage-collector-controller", "pod-garbage-collector-controller" })]
    [InlineData("only named", new[] { "namespace-controller" }, new[] { "namespace-controller" })]
    [InlineData("first mention wins", new[] { "namespace-controller,-namespace-controller" }, new[] { "namespace-controller" })]
    [InlineData("disable before star", new[] { "-podgc,*" }, new[] { "namespace-controller", "garbage-collector-controller" })]
    [InlineData("alias", new[] { "namespace" }, new[] { "namespace-controller" })]
    [InlineData("nothing", new string[0], new string[0])]
    public void Controllers_are_enabled_as_upstream_reads_the_flag(string name, string[] flag, string[] enabled)
    {
        Assert.NotEmpty(name);
        Assert.Equal(enabled, ControllerSelection.Select(flag, Known, Aliases).Select(d => d.Name));
    }

    [Fact]
    public void An_unknown_controller_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => ControllerSelection.Select(["*", "-nonsense"], Known, Aliases));

        Assert.Contains("\"nonsense\" is not in the list of known controllers", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_core_registry_has_upstreams_names_workers_and_service_accounts()
    {
        Assert.Equal(
            [("serviceaccount-controller", 1), ("root-ca-certificate-publisher-controller", 1), ("namespace-controller", 10), ("garbage-collector-controller", 20), ("clusterrole-aggregation-controller", 1), ("pod-garbage-collector-controller", 1),
             ("node-lifecycle-controller", 4), ("node-ipam-controller", 1), ("endpoints-controller", 5), ("endpointslice-controller", 5)],
            CoreControllers.All.Select(d => (d.Name, d.DefaultWorkers)));
        Assert.All(CoreControllers.All, d => Assert.True(CoreControllers.ServiceAccounts.ContainsKey(d.Name), d.Name));
        Assert.Equal("generic-garbage-collector", CoreControllers.ServiceAccounts["garbage-collector-controller"]);
        Assert.Equal("node-controller", CoreControllers.ServiceAccounts["node-lifecycle-controller"]);
        Assert.Equal("node-controller", CoreControllers.ServiceAccounts["node-ipam-controller"]);
        Assert.Equal(("node-lifecycle-controller", "node-ipam-controller"), (CoreControllers.Aliases["nodelifecycle"], CoreControllers.Aliases["nodeipam"]));
        Assert.Equal(("endpoint-controller", "endpointslice-controller"), (CoreControllers.ServiceAccounts["endpoints-controller"], CoreControllers.ServiceAccounts["endpointslice-controller"]));
        Assert.Equal(("endpoints-controller", "endpointslice-controller"), (CoreControllers.Aliases["endpoint"], CoreControllers.Aliases["endpointslice"]));
    }

    [Fact]
    public void Every_registered_controller_has_its_canonical_name_and_a_service_account()
    {
        var all = CoreControllers.All.Concat(WorkloadControllers.All).Concat(CertificateControllers.All).ToList();

        Assert.All(all, d => Assert.True(
            CoreControllers.ServiceAccounts.ContainsKey(d.Name) || CoreControllers.RootCredentials.Contains(d.Name),
            $"{d.Name} has no service account: with --use-service-account-credentials its writes would be forbidden"));
        Assert.All(CoreControllers.Aliases.Keys, alias => Assert.DoesNotContain(all, d => d.Name == alias));
    }

    [Fact]
    public void ReconcileResult_is_what_the_manager_hands_out()
    {
        Assert.Equal(default, ReconcileResult.Done);
    }
}
