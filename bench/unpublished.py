"""Everyday sentences in languages outside bench/languages.py's DETECTION_LANGUAGES: with those
seven published, language=auto should refuse this speech by name rather than transcribe it in a
wrong language. Written for this benchmark; spoken by espeak-ng's test variant."""

SENTENCES = {
    "pl": [
        "Dzień dobry, chciałbym kupić bilet do Krakowa na jutro rano.",
        "Mój brat mieszka w dużym domu niedaleko rzeki.",
        "W sobotę pójdziemy razem do kina, jeśli będzie padać.",
        "Proszę zamknąć okno, bo w pokoju jest bardzo zimno.",
        "Nasza córka uczy się grać na pianinie od trzech lat.",
    ],
    "fi": [
        "Hyvää huomenta, haluaisin ostaa lipun Tampereelle huomiseksi.",
        "Veljeni asuu isossa talossa lähellä järveä.",
        "Lauantaina menemme yhdessä elokuviin, jos sataa.",
        "Sulje ikkuna, täällä on todella kylmä.",
        "Tyttäremme on soittanut pianoa kolme vuotta.",
    ],
    "cs": [
        "Dobrý den, chtěl bych koupit jízdenku do Brna na zítra ráno.",
        "Můj bratr bydlí ve velkém domě blízko řeky.",
        "V sobotu půjdeme spolu do kina, jestli bude pršet.",
        "Zavřete prosím okno, v pokoji je velká zima.",
        "Naše dcera se učí hrát na klavír už tři roky.",
    ],
    "sv": [
        "God morgon, jag skulle vilja köpa en biljett till Göteborg.",
        "Min bror bor i ett stort hus nära sjön.",
        "På lördag går vi på bio tillsammans om det regnar.",
        "Kan du stänga fönstret, det är väldigt kallt här inne.",
        "Vår dotter har spelat piano i tre år nu.",
    ],
    "tr": [
        "Günaydın, yarın sabah için Ankara'ya bir bilet almak istiyorum.",
        "Kardeşim nehrin yakınında büyük bir evde oturuyor.",
        "Cumartesi yağmur yağarsa birlikte sinemaya gideceğiz.",
        "Lütfen pencereyi kapatın, oda çok soğuk.",
        "Kızımız üç yıldır piyano çalmayı öğreniyor.",
    ],
}
