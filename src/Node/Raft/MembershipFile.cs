using System.Net;
using System.Text.Json;

namespace RaftKV.Node.Raft;

/// <summary>
/// The member list as this node last saw it committed, kept in the data directory so that a restart never
/// depends on the original <c>Members</c> setting being right. Written atomically (temp file, fsync, rename).
/// </summary>
internal sealed class MembershipFile(string dataDirectory)
{
    private readonly string _path = Path.Combine(dataDirectory, "members.json");

    public bool Exists => File.Exists(_path);

    public IReadOnlyList<IPEndPoint> Load()
    {
        var text = File.ReadAllText(_path);
        var items = JsonSerializer.Deserialize<List<string>>(text)
            ?? throw new InvalidDataException($"{_path} does not hold a member list");
        return items.Select(Configuration.EndpointParser.ParseIp).ToList();
    }

    public void Save(IEnumerable<EndPoint> members)
    {
        var items = members.Select(static m => m.ToString() ?? string.Empty).Order(StringComparer.Ordinal).ToList();
        var temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, items);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
    }
}
