using Kubesharp.Testing;
namespace Kubesharp.Storage.Tests.Etcd;

/// <summary>
/// One private etcd for a test class. Without etcd on PATH the class's tests are skipped visibly, unless
/// KUBESHARP_REQUIRE_ETCD=1, which makes the fixture (and so every test of the class) fail.
/// </summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdProcess? _etcd;
    private string? _skipReason;

    /// <summary>The running member; throws <see cref="SkipException"/> when etcd is not installed.</summary>
    public EtcdProcess Etcd => _etcd ?? throw new SkipException(_skipReason ?? "etcd was not started");

    /// <summary>The etcd binary, or throws <see cref="SkipException"/> (or fails, when etcd is required).</summary>
    public static string RequireBinary()
    {
        if (EtcdProcess.FindBinary() is { } binary)
        {
            return binary;
        }

        if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_ETCD") == "1")
        {
            throw new InvalidOperationException("etcd is not on PATH, and KUBESHARP_REQUIRE_ETCD=1 requires it");
        }

        throw new SkipException("etcd is not on PATH (install etcd-server, or set KUBESHARP_REQUIRE_ETCD=1 to fail instead)");
    }

    public async Task InitializeAsync()
    {
        string binary;
        try
        {
            binary = RequireBinary();
        }
        catch (SkipException e)
        {
            _skipReason = e.Message;
            return;
        }

        _etcd = await EtcdProcess.StartNewAsync(binary);
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
