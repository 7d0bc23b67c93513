using Kubesharp.Proxy.Iptables;

namespace Kubesharp.Proxy.Tests.Iptables;

public sealed class IptablesBackendTests
{
    private const string Rules = "*filter\n:KUBE-SERVICES - [0:0]\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-AAAAAAAAAAAAAAAA\nCOMMIT\n";

    [Fact]
    public void RenderedServiceChainsAreTheNatTablesPerServiceChains()
    {
        Assert.Equal(["KUBE-SEP-BBBBBBBBBBBBBBBB", "KUBE-SVC-AAAAAAAAAAAAAAAA"], IptablesBackend.RenderedServiceChains(Rules).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void StaleChainsAreFlushedAtTheTopAndDeletedAtTheEndOfTheNatTable()
    {
        var input = IptablesBackend.WithDeletions(Rules, ["KUBE-SEP-CCCCCCCCCCCCCCCC"]);
        Assert.Equal(
            "*filter\n:KUBE-SERVICES - [0:0]\nCOMMIT\n*nat\n:KUBE-SEP-CCCCCCCCCCCCCCCC - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-AAAAAAAAAAAAAAAA\n-X KUBE-SEP-CCCCCCCCCCCCCCCC\nCOMMIT\n",
            input);
    }
}
