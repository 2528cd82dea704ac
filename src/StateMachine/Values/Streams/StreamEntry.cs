namespace RaftKV.StateMachine.Values.Streams;

/// <summary>
/// One stream entry: its id, its field-value pairs (field, value, field, value...; never changed once added) and the
/// number of the emulated node that holds it (<see cref="StreamNode"/>).
/// </summary>
internal sealed record StreamEntry(StreamId Id, byte[][] FieldsAndValues, long Node);
