using System.Security.Cryptography.X509Certificates;
using Kubesharp.Api.Certificates;

namespace Kubesharp.Api.Tests.Certificates;

public sealed class KeyUsagesTests
{
    [Fact]
    public void Usages_map_to_key_usages_and_extended_key_usages_in_upstreams_order()
    {
        Assert.True(KeyUsages.TryMap(["client auth", "key encipherment", "server auth", "digital signature", "signing", "client auth"], out var keyUsage, out var extended, out var error));

        Assert.Null(error);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, keyUsage);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], extended.Select(o => o.Value));
    }

    [Fact]
    public void Unknown_usages_are_named_as_upstream_names_them()
    {
        Assert.False(KeyUsages.TryMap(["client auth", "teleport", "fly"], out _, out var extended, out var error));

        Assert.Empty(extended);
        Assert.Equal("unrecognized usage values: [\"teleport\" \"fly\"]", error);
    }
}
