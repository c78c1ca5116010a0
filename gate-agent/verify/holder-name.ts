/**
 * The holder's name on a scan's answer (issue 17): the ticket's name box opened with the scanned code,
 * after the decision is durably recorded, so the name costs the answer's latency budget nothing and
 * never reaches the scan log. Only the decided ticket's box is opened; a box that does not open (another
 * generation's code, a damaged box) answers null, like a ticket without a name.
 */
import { openHolderName } from '../../shared/crypto/index';
import type { GateDecision } from './scan-decision';
import type { ScanResponse } from './scan-response';

/** Sets `holderName` on an answer that names a ticket: the opened name, or null. */
export function attachHolderName(response: ScanResponse, nameBox: GateDecision['nameBox']): ScanResponse {
  if (!response.ticket) return response;
  response.holderName = nameBox ? openHolderName(nameBox.tokenBytes, nameBox.context, nameBox.box) : null;
  return response;
}
