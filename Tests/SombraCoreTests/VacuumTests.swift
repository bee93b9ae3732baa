import Glibc
import Testing

@testable import SombraCore

@Suite struct VacuumTests {
  @Test func vacuumShrinksADatabaseWithManyDeletedRecordsAndKeepsEveryFact() throws {
    let dir = try StorageScratchDirectory()
    defer { dir.remove() }
    let path = dir.path + "/g.sombra"
    let copy = dir.path + "/copy.sombra"
    try MaintenanceFixture.build(at: path, count: 600, padding: 200, deleteEvery: 4)

    let db = try Database.open(path, options: .readOnly)
    let before = try GraphDump.of(db)
    let result = try db.vacuum(into: copy)
    try db.close()

    let vacuumed = try Database.open(copy, options: .readOnly)
    defer { try? vacuumed.close() }
    #expect(try GraphDump.of(vacuumed) == before)
    #expect(try vacuumed.verify().isClean)
    #expect(result.nodes == 150)
    #expect(result.newPages < result.sourcePages)
    let sizes = (FileOperations.size(of: path) ?? 0, FileOperations.size(of: copy) ?? 0)
    #expect(sizes.1 < sizes.0 / 2)
    #expect(!FileOperations.exists(copy + ".wal"))
    #expect(before.nodes.count == 150 && before.edges.count > 0)
  }

  @Test func vacuumRefusesToOverwriteAFileAndLeavesTheSourceUntouched() throws {
    let dir = try StorageScratchDirectory()
    defer { dir.remove() }
    let path = dir.path + "/g.sombra"
    let copy = dir.path + "/copy.sombra"
    try MaintenanceFixture.build(at: path, count: 20)
    let existing = try POSIXStorageSystem().open(copy, .readWriteCreate)
    existing.close()
    let db = try Database.open(path, options: .readOnly)
    defer { try? db.close() }
    #expect(throws: SombraError.self) { try db.vacuum(into: copy) }
    #expect(FileOperations.size(of: copy) == 0)
  }

  @Test func vacuumOfAnEmptyDatabaseGivesAnEmptyDatabase() throws {
    let dir = try StorageScratchDirectory()
    defer { dir.remove() }
    let path = dir.path + "/g.sombra"
    let db = try Database.open(path, options: MaintenanceFixture.options)
    let result = try db.vacuum(into: dir.path + "/copy.sombra")
    try db.close()
    #expect(result.nodes == 0)
    let copy = try Database.open(dir.path + "/copy.sombra", options: .readOnly)
    defer { try? copy.close() }
    #expect(try copy.read { try $0.nodeCount } == 0)
  }
}
