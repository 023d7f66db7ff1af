import EarshotNet
import EarshotProtocol
@testable import EarshotSender
import Testing

@Suite struct ReceiverReportAdmissionTests {
    private func address(_ text: String) -> SocketAddress { try! SocketAddress(parsing: text) }

    @Test func unicastReportsCountOnlyFromTheDestinationsRTPOrRTCPPort() {
        let admission = ReceiverReportAdmission(destinations: [address("192.168.1.10:5004"), address("[fd00::7]:6000")])
        #expect(admission.origin(of: address("192.168.1.10:5004")) == .destination)
        #expect(admission.origin(of: address("192.168.1.10:5005")) == .destination)
        #expect(admission.origin(of: address("[fd00::7]:6001")) == .destination)
        for stranger in ["192.168.1.10:5006", "192.168.1.10:40000", "192.168.1.11:5005", "10.0.0.1:5005",
            "[fd00::8]:6001", "[fd00::7]:6002"]
        {
            #expect(admission.origin(of: address(stranger)) == .stranger, "\(stranger)")
        }
    }

    @Test func multicastAcceptsAnySourceOfItsFamilyAsACandidateOnly() {
        let admission = ReceiverReportAdmission(destinations: [address("239.255.1.2:5004"), address("10.0.0.5:5004")])
        #expect(admission.origin(of: address("192.168.1.77:5005")) == .multicastGroup)
        #expect(admission.origin(of: address("10.0.0.5:5005")) == .destination)
        #expect(admission.origin(of: address("[fd00::7]:5005")) == .stranger)
    }

    @Test func onlyAnEchoOfOneOfTheLastSenderReportsProvesReception() {
        var admission = ReceiverReportAdmission(destinations: [address("239.255.1.2:5004")])
        let reports = (0..<20).map { NTPTimestamp(unixSeconds: 1_700_000_000 + Int64($0), nanoseconds: 250_000_000) }
        #expect(!admission.echoesRecentReport(reports[0].middle32))
        for report in reports { admission.noteSenderReport(report) }
        let kept = ReceiverReportAdmission.rememberedReports
        for (index, report) in reports.enumerated() {
            #expect(admission.echoesRecentReport(report.middle32) == (index >= reports.count - kept), "SR \(index)")
        }
        #expect(!admission.echoesRecentReport(0), "LSR 0 means no SR received")
        #expect(!admission.echoesRecentReport(reports.last!.middle32 &+ 1))
    }
}
