namespace RaftKV.StateMachine.Functions;

/// <summary>
/// A set of libraries and the index of their functions, as Redis's functionsLibCtx: library names are case-sensitive,
/// function names case-insensitive (FCALL TEST finds test) and unique across libraries. Libraries are kept in ordinal
/// name order, the order FUNCTION LIST, DUMP and snapshots give (Redis's dict order is its hash order).
/// </summary>
internal sealed class FunctionSet
{
    private readonly SortedDictionary<string, FunctionLibrary> _libraries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (FunctionLibrary Library, FunctionInfo Function)> _functions = new(StringComparer.OrdinalIgnoreCase);

    public int LibraryCount => _libraries.Count;

    public int FunctionCount => _functions.Count;

    /// <summary>The libraries in ordinal name order.</summary>
    public IEnumerable<FunctionLibrary> Libraries => _libraries.Values;

    public FunctionLibrary? FindLibrary(string name) => _libraries.GetValueOrDefault(name);

    /// <summary>The function named <paramref name="name"/> (any case) and its library, or null.</summary>
    public (FunctionLibrary Library, FunctionInfo Function)? FindFunction(string name) =>
        _functions.TryGetValue(name, out var found) ? found : null;

    /// <summary>Adds a library whose name and functions are free (the caller checked).</summary>
    public void Link(FunctionLibrary library)
    {
        _libraries.Add(library.Name, library);
        foreach (var function in library.Functions)
        {
            _functions.TryAdd(function.Name, (library, function));
        }
    }

    public void Unlink(FunctionLibrary library)
    {
        _libraries.Remove(library.Name);
        foreach (var function in library.Functions)
        {
            if (_functions.TryGetValue(function.Name, out var found) && ReferenceEquals(found.Library, library))
            {
                _functions.Remove(function.Name);
            }
        }
    }

    public void Clear()
    {
        _libraries.Clear();
        _functions.Clear();
    }
}
