/// Facts about a database's whole life, kept in its header (bytes 136..<176;
/// files written before they existed read as zero).
public struct LifetimeFacts: Sendable, Equatable {
  /// Transactions committed to the file, ever.
  public var commits: UInt64 = 0
  /// Checkpoints that copied pages into the main file, ever.
  public var checkpoints: UInt64 = 0
  /// When the last such checkpoint ran, in seconds since the Unix epoch (0: never).
  public var lastCheckpointTime: UInt64 = 0
  /// Opens that found the previous session had not closed the database.
  public var uncleanShutdowns: UInt64 = 0
  /// Corruption errors met by read-write sessions, ever.
  public var corruptionEvents: UInt64 = 0

  /// Zero facts.
  public init() {}

  /// Facts from their parts.
  public init(
    commits: UInt64, checkpoints: UInt64, lastCheckpointTime: UInt64, uncleanShutdowns: UInt64, corruptionEvents: UInt64
  ) {
    self.commits = commits
    self.checkpoints = checkpoints
    self.lastCheckpointTime = lastCheckpointTime
    self.uncleanShutdowns = uncleanShutdowns
    self.corruptionEvents = corruptionEvents
  }
}
