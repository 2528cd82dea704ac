using System.Net;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using RaftKV.Node.Raft;

namespace RaftKV.Node.Tests;

/// <summary>
/// The membership file is DotNext's persistent configuration storage with RaftKV's address encoding, which is also
/// the payload of the configuration entries members replicate: its bytes are pinned.
/// </summary>
public sealed class MembershipStorageTests
{
    [Fact]
    public async Task SavedConfiguration_HasPinnedBytes_AndLoadsBack_NewestVersionOnly()
    {
        var directory = Directory.CreateTempSubdirectory("raftkv-membership");
        try
        {
            var path = Path.Combine(directory.FullName, MembershipStorage.FileName);
            using (var storage = new MembershipStorage(path))
            {
                var typed = (IClusterConfigurationStorage<EndPoint>)storage;
                var configuration = (await typed.LoadConfigurationAsync()).Add(IPEndPoint.Parse("127.0.0.1:7379"));
                Assert.True(await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(configuration, 5L));

                // Version 5 (int64 LE), one member (int32 LE), then the address: length byte and ASCII text.
                byte[] expected = [5, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 14, .. "127.0.0.1:7379"u8];
                Assert.Equal(expected, await File.ReadAllBytesAsync(path));

                // An older configuration (a restart re-applying an earlier entry) never replaces a newer one.
                var older = configuration.Add(IPEndPoint.Parse("127.0.0.1:7380"));
                Assert.False(await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(older, 3L));
            }

            using var reopened = new MembershipStorage(path);
            var members = (await ((IClusterConfigurationStorage<EndPoint>)reopened).LoadConfigurationAsync()).Members;
            Assert.Equal([IPEndPoint.Parse("127.0.0.1:7379")], members);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
