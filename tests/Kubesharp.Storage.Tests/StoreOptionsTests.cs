namespace Kubesharp.Storage.Tests;

public sealed class StoreOptionsTests
{
    [Theory]
    [InlineData("sqlite", StoreKind.Sqlite, "/data/db/state.db")]
    [InlineData("memory", StoreKind.Memory, "in memory")]
    [InlineData("etcd://127.0.0.1:2379", StoreKind.Etcd, "127.0.0.1:2379")]
    [InlineData("etcd://h1:2379,h2:22379, h3:32379", StoreKind.Etcd, "h1:2379,h2:22379,h3:32379")]
    [InlineData("etcd://http://h1:2379,https://h2:2379", StoreKind.Etcd, "h1:2379,h2:2379")]
    public void Datastore_flag_is_parsed(string flag, StoreKind kind, string described)
    {
        var options = StoreOptions.Parse(flag, "/data");

        Assert.Equal(kind, options.Kind);
        Assert.Equal(described, options.Describe());
    }

    [Theory]
    [InlineData("postgres://x")]
    [InlineData("etcd://")]
    [InlineData("etcd://host-without-port")]
    [InlineData("etcd://h1:2379/path")]
    public void A_bad_datastore_flag_is_refused_with_a_message(string flag)
    {
        var e = Assert.Throws<ArgumentException>(() => StoreOptions.Parse(flag, "/data"));

        Assert.Contains("--datastore", e.Message, StringComparison.Ordinal);
    }
}
