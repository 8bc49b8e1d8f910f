-- 0018: the police's own incident number for a referral (optional), so social work and
-- the police can match the referral to the police record. Sealed: it is a key into a
-- police record that names the person (and an officer may type an ID number into it by
-- mistake: an 18-digit incident number cannot be told from one), so a copied database
-- must not be joinable to police data; retention erases it with the other details.
ALTER TABLE referrals ADD COLUMN incident_number TEXT;                      -- S
