# ruff: noqa: E501  (sentences are data: one a line)
"""Dutch legal dictation (contracts, court rulings, Dutch civil law).

Benchmark set for domain adaptation of Whisper in Dutch: ``TERMS`` lists
legal words and fixed expressions a general speech model tends to misspell
or split wrongly (procedural terms, long compounds, Latin-derived terms);
``TRAIN`` holds dictated sentences used for fine-tuning and ``TEST`` holds
held-out sentences that use the same terms in new contexts.  TRAIN and TEST
are disjoint (no sentence occurs in both and TEST sentences are not
near-copies of TRAIN sentences).  Sentences are written as a typist would
enter them: capitalised, punctuated, numbers as words, no digits.
"""

LANGUAGE = "nl"
DOMAIN = "legal"

TERMS = [
    "gedaagde",
    "eiser",
    "verweerder",
    "dagvaarding",
    "kantonrechter",
    "voorzieningenrechter",
    "kort geding",
    "hoger beroep",
    "cassatie",
    "Hoge Raad",
    "vonnis",
    "arrest",
    "ontbinding",
    "wanprestatie",
    "ingebrekestelling",
    "onrechtmatige daad",
    "schadevergoeding",
    "dwangsom",
    "conservatoir beslag",
    "koopovereenkomst",
    "huurovereenkomst",
    "arbeidsovereenkomst",
    "concurrentiebeding",
    "boetebeding",
    "algemene voorwaarden",
    "Burgerlijk Wetboek",
    "redelijkheid en billijkheid",
    "proceskosten",
    "griffierecht",
    "deurwaarder",
    "notariële akte",
    "opschortingsrecht",
    "verjaringstermijn",
    "exploot",
    "rolzitting",
    "comparitie",
    "vaststellingsovereenkomst",
]

TRAIN = [
    "De eiser vordert ontbinding van de koopovereenkomst wegens wanprestatie van de gedaagde.",
    "Gedaagde heeft de dagvaarding op tijd ontvangen maar is niet verschenen op de rolzitting.",
    "De kantonrechter heeft de vordering tot betaling van achterstallig loon volledig toegewezen.",
    "Bij vonnis van twaalf maart is de gedaagde veroordeeld tot betaling van de hoofdsom.",
    "Verweerder betwist dat er sprake is van een tekortkoming in de nakoming van de overeenkomst.",
    "De voorzieningenrechter heeft in kort geding een verbod opgelegd op straffe van een dwangsom.",
    "Tegen het vonnis van de rechtbank is tijdig hoger beroep ingesteld bij het gerechtshof.",
    "Het arrest van het hof is in cassatie vernietigd door de Hoge Raad.",
    "De Hoge Raad heeft de zaak verwezen naar een ander gerechtshof ter verdere behandeling.",
    "Een ingebrekestelling is vereist voordat de schuldenaar in verzuim komt.",
    "Bij aangetekende brief heeft eiser de wederpartij in gebreke gesteld en een termijn van veertien dagen gegund.",
    "De ingebrekestelling bevatte een redelijke termijn voor nakoming, die ongebruikt is verstreken.",
    "Het handelen van de gedaagde levert een onrechtmatige daad op jegens de eiser.",
    "Op grond van onrechtmatige daad is de verweerder gehouden de geleden schade te vergoeden.",
    "De schadevergoeding wordt opgemaakt bij staat en vereffend volgens de wet.",
    "Eiser vordert een schadevergoeding van vijftigduizend euro, te vermeerderen met de wettelijke rente.",
    "De gedaagde verbeurt een dwangsom van duizend euro voor iedere dag dat hij in gebreke blijft.",
    "De dwangsom wordt gemaximeerd op een bedrag van honderdduizend euro.",
    "Ter zekerheid van de vordering heeft eiser conservatoir beslag laten leggen op de bankrekening.",
    "Het conservatoir beslag op de onroerende zaak is door de voorzieningenrechter opgeheven.",
    "De koopovereenkomst is in de wet geregeld in boek zeven van het Burgerlijk Wetboek.",
    "Partijen hebben de koopovereenkomst op vijf juni schriftelijk en ondertekend vastgelegd.",
    "De huurovereenkomst voor de bedrijfsruimte is aangegaan voor de duur van vijf jaren.",
    "De verhuurder vordert ontbinding van de huurovereenkomst en ontruiming van het gehuurde.",
    "De arbeidsovereenkomst is voor onbepaalde tijd aangegaan met ingang van één januari.",
    "De werkgever verzoekt de kantonrechter de arbeidsovereenkomst te ontbinden wegens een verstoorde arbeidsverhouding.",
    "In de arbeidsovereenkomst is een concurrentiebeding opgenomen met een looptijd van één jaar.",
    "Het concurrentiebeding is naar het oordeel van de kantonrechter onredelijk bezwarend voor de werknemer.",
    "Het boetebeding voorziet in een boete van vijfduizend euro per overtreding.",
    "De rechtbank matigt het boetebeding omdat de billijkheid dat klaarblijkelijk eist.",
    "De algemene voorwaarden zijn niet ter hand gesteld en daarom vernietigbaar.",
    "Op de overeenkomst zijn de algemene voorwaarden van de leverancier van toepassing verklaard.",
    "Op grond van artikel zes tweehonderdachtenveertig van het Burgerlijk Wetboek werkt de overeenkomst aanvullend.",
    "Naar maatstaven van redelijkheid en billijkheid is een beroep op het beding onaanvaardbaar.",
    "De eisen van redelijkheid en billijkheid brengen mee dat de verkoper de koper had moeten waarschuwen.",
    "De gedaagde wordt veroordeeld in de proceskosten, aan de zijde van eiser tot op heden begroot.",
    "Ieder der partijen draagt de eigen proceskosten, nu zij over en weer in het ongelijk zijn gesteld.",
    "Het griffierecht moet binnen vier weken na de eerste roldatum zijn voldaan.",
    "Wanneer het griffierecht niet tijdig wordt betaald, wordt de eiser niet-ontvankelijk verklaard.",
    "De deurwaarder heeft de dagvaarding op het woonadres van gedaagde betekend.",
    "De kosten van de deurwaarder komen voor rekening van de veroordeelde partij.",
    "De leveringsakte is opgemaakt bij notariële akte en ingeschreven in de openbare registers.",
    "Voor de vestiging van het recht van hypotheek is een notariële akte vereist.",
    "Koper beroept zich op zijn opschortingsrecht totdat de gebreken aan de woning zijn hersteld.",
    "Het opschortingsrecht komt de huurder niet toe nu de gebreken van geringe betekenis zijn.",
    "De vordering is verjaard omdat de verjaringstermijn van vijf jaren is verstreken.",
    "De verjaringstermijn is tijdig gestuit door een schriftelijke aanmaning van de schuldeiser.",
    "Het exploot van dagvaarding vermeldt de datum van de rolzitting en de eis van eiser.",
    "Volgens het exploot is het afschrift achtergelaten in een gesloten envelop op het adres.",
    "De zaak staat voor antwoord op de rolzitting van woensdag over vier weken.",
    "Op de rolzitting is verstek verleend tegen de niet verschenen gedaagde.",
    "De kantonrechter heeft een comparitie van partijen gelast om inlichtingen te verkrijgen.",
    "Tijdens de comparitie zijn partijen niet tot een minnelijke regeling gekomen.",
    "Partijen hebben hun geschil beëindigd met een vaststellingsovereenkomst.",
    "In de vaststellingsovereenkomst is afgesproken dat de werknemer een transitievergoeding ontvangt.",
    "De verweerder stelt dat de vordering van eiser op een onjuiste uitleg van het contract berust.",
    "Verweerder heeft ter comparitie verklaard dat de facturen nooit zijn ontvangen.",
    "Tegen het arrest van het gerechtshof staat beroep in cassatie open bij de Hoge Raad.",
    "In cassatie wordt uitsluitend getoetst of het hof het recht juist heeft toegepast.",
    "Het hof bekrachtigt het bestreden vonnis en veroordeelt appellant in de kosten van het hoger beroep.",
    "De termijn voor het instellen van hoger beroep bedraagt drie maanden na de dag van de uitspraak.",
    "De voorzieningenrechter acht een spoedeisend belang voldoende aannemelijk gemaakt.",
    "In kort geding kan slechts een voorlopige voorziening worden getroffen.",
    "Wanprestatie staat vast nu de leverancier de machines niet binnen de afgesproken termijn heeft geleverd.",
    "Door de wanprestatie van de aannemer heeft de opdrachtgever aanzienlijke vertragingsschade geleden.",
    "De partiële ontbinding van de overeenkomst heeft geen terugwerkende kracht.",
    "Ontbinding van de overeenkomst geschiedt door een schriftelijke verklaring van de gerechtigde.",
    "De koper vordert schadevergoeding omdat de zaak niet aan de overeenkomst beantwoordt.",
    "De gedaagde heeft geen verweer gevoerd tegen de gevorderde wettelijke handelsrente.",
    "De rechtbank verklaart voor recht dat gedaagde aansprakelijk is voor de geleden schade.",
    "De rechtbank wijst het meer of anders gevorderde af.",
    "Dit vonnis is gewezen door de rechter en in het openbaar uitgesproken in aanwezigheid van de griffier.",
    "De veroordeling wordt uitvoerbaar bij voorraad verklaard, ondanks het ingestelde rechtsmiddel.",
    "Eiser heeft onvoldoende gesteld om tot bewijslevering te worden toegelaten.",
    "De rechtbank draagt gedaagde op te bewijzen dat de lening volledig is terugbetaald.",
    "Het beroep op dwaling faalt, omdat de koper zelf onderzoek had moeten doen.",
    "De opzegging van de huurovereenkomst is niet rechtsgeldig gedaan door de verhuurder.",
    "Naar het oordeel van het hof is de arbeidsovereenkomst rechtsgeldig opgezegd.",
    "Werkgever heeft een beroep gedaan op het concurrentiebeding tegenover de nieuwe werkgever.",
    "Het boetebeding in de huurovereenkomst is eenzijdig opgesteld door de verhuurder.",
    "Volgens de algemene voorwaarden moet iedere klacht binnen acht dagen schriftelijk worden gemeld.",
    "De rechtbank verwijst naar de toelichting op boek zes van het Burgerlijk Wetboek.",
    "De redelijkheid en billijkheid kunnen een contractuele bepaling in uitzonderlijke gevallen opzijzetten.",
    "De proceskosten aan de zijde van gedaagde worden begroot op het liquidatietarief.",
    "Het griffierecht voor natuurlijke personen met een laag inkomen is aanzienlijk lager.",
    "De deurwaarder heeft beslag gelegd op de roerende zaken in de bedrijfsruimte.",
    "Bij notariële akte is de vennootschap opgericht en zijn de statuten vastgesteld.",
    "Het opschortingsrecht mag niet worden gebruikt om druk uit te oefenen op de wederpartij.",
    "Een beroep op de verjaringstermijn is in deze zaak naar het oordeel van het hof tijdig gedaan.",
    "Het exploot is ten onrechte niet aan de gedaagde in persoon betekend.",
    "De comparitie na antwoord is bepaald op een nader door de griffie vast te stellen datum.",
    "De vaststellingsovereenkomst bindt partijen, ook als zij in strijd met dwingend recht blijkt te zijn.",
    "Het kort geding werd aanhangig gemaakt nadat onderhandelingen tussen partijen waren mislukt.",
    "Eiser legt aan zijn vordering ten grondslag dat gedaagde de geleverde goederen niet heeft betaald.",
    "De conclusie van antwoord is tijdig genomen door de advocaat van gedaagde.",
    "Uit de overgelegde producties blijkt dat de facturen herhaaldelijk zijn verzonden.",
    "De vordering in reconventie wordt afgewezen bij gebreke van een deugdelijke onderbouwing.",
    "De kantonrechter oordeelt dat sprake is van een ernstig verwijtbaar handelen van de werkgever.",
    "De voorzieningenrechter heeft de gevraagde voorziening geweigerd bij gebrek aan spoedeisend belang.",
    "Het gerechtshof heeft in zijn arrest de uitleg van het contract door de rechtbank verworpen.",
    "De Hoge Raad oordeelt dat de maatstaf voor uitleg van een commercieel contract niet is miskend.",
    "Het middel in cassatie richt zich tegen de vaststelling van de omvang van de schade.",
    "Na ontbinding ontstaat een verbintenis tot ongedaanmaking van de reeds ontvangen prestaties.",
    "Zonder ingebrekestelling is de schuldenaar in beginsel nog niet in verzuim.",
    "Een onrechtmatige daad kan ook bestaan uit een doen of nalaten in strijd met de maatschappelijke zorgvuldigheid.",
    "Het conservatoir beslag is gelegd met verlof van de voorzieningenrechter.",
    "De dwangsom kan niet worden verbeurd voordat het vonnis is betekend.",
    "Het hoger beroep is ingesteld door middel van een appeldagvaarding aan geïntimeerde.",
    "De verkoper heeft de koopovereenkomst buitengerechtelijk ontbonden bij brief van zijn advocaat.",
    "Partijen verschillen van mening over de vraag of de schadevergoeding reeds is voldaan.",
    "De verweerder heeft een beroep gedaan op de vervaltermijn uit de algemene voorwaarden.",
    "De rechtbank houdt iedere verdere beslissing aan in afwachting van het deskundigenbericht.",
    "Het deskundigenrapport wordt door partijen als uitgangspunt voor de schadebegroting aanvaard.",
    "De advocaat van eiser heeft ter zitting pleitnotities overgelegd.",
    "De huurder heeft de huurprijs opgeschort omdat de verhuurder geen onderhoud heeft verricht.",
    "Het beslag is door de deurwaarder gelegd ten laste van de gedaagde vennootschap.",
    "De arbeidsovereenkomst is met wederzijds goedvinden beëindigd per één april.",
    "Partijen zijn gebonden aan de keuze voor de rechter van de vestigingsplaats van de verkoper.",
    "De rechtbank is bevoegd om kennis te nemen van dit geschil op grond van het forumkeuzebeding.",
    "Het bewijs van de gestelde mondelinge afspraken is naar het oordeel van de rechtbank niet geleverd.",
    "De getuigen zijn onder ede gehoord tijdens het getuigenverhoor bij de rechter-commissaris.",
    "De rechtbank stelt de schade vast op een bedrag van twaalfduizend vijfhonderd euro.",
    "Eiser heeft zijn eis vermeerderd bij akte voorafgaand aan de mondelinge behandeling.",
    "Gedaagde stelt dat zij de overeenkomst heeft vernietigd wegens bedrog.",
    "Het recht van eerste koop is ingeschreven in de openbare registers van het Kadaster.",
    "De bankgarantie strekt tot zekerheid voor de nakoming van de verplichtingen van de huurder.",
    "De aansprakelijkheid van de bestuurder is beperkt tot gevallen van ernstig verwijt.",
    "De verhuurder heeft de huurovereenkomst opgezegd wegens dringend eigen gebruik.",
    "Het vonnis in eerste aanleg wordt door het hof op alle onderdelen vernietigd.",
    "De rechtbank gelast de eiser het door hem gestelde causaal verband nader te onderbouwen.",
]

TEST = [
    "De gedaagde voert aan dat de vordering van eiser reeds geheel is betaald.",
    "De verweerder is na een correcte dagvaarding niet verschenen, zodat verstek wordt verleend.",
    "De kantonrechter kent de werknemer een billijke vergoeding toe naast de transitievergoeding.",
    "De voorzieningenrechter wijst de vordering in kort geding af wegens onvoldoende spoedeisendheid.",
    "Het hoger beroep tegen het tussenvonnis is niet-ontvankelijk zonder verlof van de rechter.",
    "Het arrest van de Hoge Raad heeft grote betekenis voor de uitleg van verzekeringsvoorwaarden.",
    "Na cassatie en verwijzing moet het hof de zaak opnieuw beoordelen binnen de grenzen van de rechtsstrijd.",
    "Omdat de aannemer het werk niet heeft afgemaakt, beroept de opdrachtgever zich op wanprestatie en ontbinding.",
    "Een ingebrekestelling was overbodig omdat nakoming blijvend onmogelijk was geworden.",
    "De publicatie van de beschuldigingen vormt een onrechtmatige daad tegenover de betrokken ondernemer.",
    "De rechtbank begroot de schadevergoeding naar schatting, omdat de exacte omvang niet kan worden vastgesteld.",
    "Het verzoek om de dwangsom op te heffen wordt door de rechter afgewezen.",
    "Het conservatoir beslag op de voorraad werd binnen twee weken gevolgd door een eis in de hoofdzaak.",
    "De koopovereenkomst van de woning bevat een ontbindende voorwaarde voor de financiering.",
    "De huurovereenkomst van de woonruimte wordt voortgezet met de echtgenote van de overleden huurder.",
    "Tijdens de proeftijd kan de arbeidsovereenkomst door beide partijen onmiddellijk worden opgezegd.",
    "Het concurrentiebeding en het boetebeding uit het arbeidscontract worden door de werknemer betwist.",
    "De koper heeft de algemene voorwaarden van de verkoper uitdrukkelijk van de hand gewezen.",
    "Volgens het Burgerlijk Wetboek is de verkoper aansprakelijk voor verborgen gebreken.",
    "Een strikte toepassing van het beding is naar maatstaven van redelijkheid en billijkheid onaanvaardbaar.",
    "De gedaagde wordt veroordeeld in de proceskosten, inclusief het door eiser betaalde griffierecht.",
    "De deurwaarder heeft het vonnis betekend en aangezegd dat de ontruiming volgende week plaatsvindt.",
    "De hypotheekakte is als notariële akte verleden ten overstaan van een notaris in de gemeente.",
    "De aannemer oefent zijn opschortingsrecht uit zolang de termijnfactuur onbetaald blijft.",
    "De verjaringstermijn voor een vordering tot schadevergoeding begint te lopen na bekendheid met de schade.",
    "In het exploot ontbreekt de vermelding van de termijn waarbinnen gedaagde moet verschijnen.",
    "De zaak wordt verwezen naar de rolzitting van volgende week voor het nemen van een akte.",
    "Ter comparitie hebben partijen een schikking bereikt die in een proces-verbaal is vastgelegd.",
    "De vaststellingsovereenkomst is nietig omdat zij in strijd is met de goede zeden.",
    "De eiser heeft zijn stellingen met betrekking tot de geleden schade onvoldoende onderbouwd.",
]


if __name__ == "__main__":
    import difflib
    import re
    import sys

    problems = []
    print(f"{LANGUAGE}/{DOMAIN}: {len(TERMS)} terms, {len(TRAIN)} train, {len(TEST)} test")
    if len(set(TRAIN)) != len(TRAIN):
        problems.append("duplicate sentences in TRAIN")
    if len(set(TEST)) != len(TEST):
        problems.append("duplicate sentences in TEST")
    if len(set(t.lower() for t in TERMS)) != len(TERMS):
        problems.append("duplicate terms")
    overlap = set(TRAIN) & set(TEST)
    if overlap:
        problems.append(f"TRAIN and TEST overlap: {sorted(overlap)}")
    for term in TERMS:
        low = term.lower()
        n_train = sum(low in s.lower() for s in TRAIN)
        n_test = sum(low in s.lower() for s in TEST)
        if n_train < 2 or n_test < 1:
            problems.append(f"term {term!r}: {n_train} in TRAIN, {n_test} in TEST")
    for name, sentences in (("TRAIN", TRAIN), ("TEST", TEST)):
        for s in sentences:
            words = [w for w in s.split() if re.search(r"\w", w)]
            if re.search(r"\d", s):
                problems.append(f"{name} has a digit: {s!r}")
            if not 8 <= len(words) <= 18:
                problems.append(f"{name} has {len(words)} words: {s!r}")
            if not s[0].isupper() or s[-1] not in ".?" or "  " in s or s != s.strip():
                problems.append(f"{name} capitalisation/punctuation: {s!r}")
    for t in TEST:
        for s in TRAIN:
            ratio = difflib.SequenceMatcher(None, t.lower(), s.lower()).ratio()
            if ratio >= 0.75:
                problems.append(f"near-copy ({ratio:.2f}): {t!r} ~ {s!r}")
    print(f"train words {sum(len(s.split()) for s in TRAIN)}, test words {sum(len(s.split()) for s in TEST)}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("OK: TRAIN/TEST disjoint, every term twice in TRAIN and once in TEST, no digits")
